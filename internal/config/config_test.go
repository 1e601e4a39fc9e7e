package config_test

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/central/central/internal/config"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

const (
	rwURL = "postgres://central:s3cret@db.example:5432/central?sslmode=disable"
	roURL = "postgres://central_ro:r0secret@db.example:5432/central?sslmode=disable"
)

func TestLoadDefaults(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{
		Env:      config.Development,
		LogLevel: zapcore.InfoLevel,
		HTTPAddr: "127.0.0.1:8080",
		DataDir:  ".data",
		Postgres: config.Postgres{
			Embedded:           true,
			ReadWrite:          config.Conn{PoolSize: 5, AppName: "pg_readwrite"},
			ReadOnly:           config.Conn{PoolSize: 5, AppName: "pg_readonly"},
			ReplicaMaxLag:      10 * time.Second,
			SlowQueryThreshold: 200 * time.Millisecond,
		},
		Migrate:  config.Migrate{Timeout: 5 * time.Minute},
		Seed:     config.Seed{Timeout: 30 * time.Minute, OnChanged: config.SeedChangedError},
		Shutdown: config.Shutdown{Delay: 0, Timeout: config.DefaultShutdownTimeout},
	}
	if fmt.Sprintf("%#v", c) != fmt.Sprintf("%#v", want) {
		t.Fatalf("defaults:\n got %#v\nwant %#v", c, want)
	}
}

func TestLoadValid(t *testing.T) {
	certFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(certFile, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c config.Config)
	}{
		{
			name: "urls",
			env: map[string]string{"POSTGRES_READWRITE_URL": rwURL, "POSTGRES_READONLY_URL": roURL, "APP_ENV": "production",
				"POSTGRES_ALLOW_INSECURE_TLS": "true"},
			check: func(t *testing.T, c config.Config) {
				if !c.Postgres.AllowInsecureTLS || len(c.Postgres.InsecureTLS) != 2 || c.Postgres.InsecureTLS[0].Var != "POSTGRES_READWRITE_URL" {
					t.Errorf("insecure targets %+v", c.Postgres.InsecureTLS)
				}
				if c.Postgres.Embedded || c.Postgres.ReadWrite.URL.Reveal() != rwURL || c.Postgres.ReadOnly.URL.Reveal() != roURL || c.Env != config.Production {
					t.Errorf("got %+v", c.Postgres)
				}
			},
		},
		{
			name: "per-part with special-character password",
			env: map[string]string{
				"POSTGRES_READWRITE_HOST": "db.example", "POSTGRES_READWRITE_DATABASE": "central",
				"POSTGRES_READWRITE_USER": "central", "POSTGRES_READWRITE_PASSWORD": "p@ss:w/o?rd#%&= x",
				"POSTGRES_READWRITE_SSLMODE": "verify-full", "POSTGRES_READWRITE_SSLROOTCERT": certFile,
				"POSTGRES_READWRITE_POOL_SIZE": "12", "POSTGRES_READWRITE_APP_NAME": "api",
				"POSTGRES_READONLY_HOST": "db.example", "POSTGRES_READONLY_PORT": "6543", "POSTGRES_READONLY_DATABASE": "central",
				"POSTGRES_READONLY_USER": "central_ro",
			},
			check: func(t *testing.T, c config.Config) {
				u, err := url.Parse(c.Postgres.ReadWrite.URL.Reveal())
				if err != nil {
					t.Fatal(err)
				}
				pw, _ := u.User.Password()
				if pw != "p@ss:w/o?rd#%&= x" || u.User.Username() != "central" || u.Host != "db.example:5432" || u.Path != "/central" {
					t.Errorf("round trip: user=%q pw=%q host=%q path=%q", u.User.Username(), pw, u.Host, u.Path)
				}
				if u.Query().Get("sslmode") != "verify-full" || u.Query().Get("sslrootcert") != certFile {
					t.Errorf("ssl query %q", u.RawQuery)
				}
				if c.Postgres.ReadWrite.PoolSize != 12 || c.Postgres.ReadWrite.AppName != "api" {
					t.Errorf("settings %+v", c.Postgres.ReadWrite)
				}
				if got := c.Postgres.ReadOnly.URL.Reveal(); got != "postgres://central_ro@db.example:6543/central" {
					t.Errorf("readonly url %q", got)
				}
			},
		},
		{
			name: "replicas and durations",
			env: map[string]string{
				"POSTGRES_READWRITE_URL": rwURL, "POSTGRES_READONLY_URL": roURL,
				"POSTGRES_REPLICA_URLS":    " postgres://ro:a@r1:5432/central , postgres://ro:b@r2:5432/central,",
				"POSTGRES_REPLICA_MAX_LAG": "2s", "DB_SLOW_QUERY_THRESHOLD": "0",
			},
			check: func(t *testing.T, c config.Config) {
				if len(c.Postgres.Replicas) != 2 || c.Postgres.Replicas[1].Reveal() != "postgres://ro:b@r2:5432/central" {
					t.Errorf("replicas %v", c.Postgres.Replicas)
				}
				if c.Postgres.ReplicaMaxLag != 2*time.Second || c.Postgres.SlowQueryThreshold != 0 {
					t.Errorf("durations %v %v", c.Postgres.ReplicaMaxLag, c.Postgres.SlowQueryThreshold)
				}
			},
		},
		{
			name: "app settings",
			env: map[string]string{
				"APP_ENV": "Test", "LOG_LEVEL": "debug", "HTTP_ADDR": ":9000", "DATA_DIR": "/var/lib/central",
				"SKIP_MIGRATIONS": "true", "SKIP_SEEDS": "1", "MIGRATE_TIMEOUT": "1m", "SEED_TIMEOUT": "2h",
				"SEED_ALLOW_OUT_OF_ORDER": "true", "SENSITIVE_KEYS": "k1=base64key://abc", "SENSITIVE_CURRENT_KEY": "k1",
			},
			check: func(t *testing.T, c config.Config) {
				want := config.Config{Env: config.Test, LogLevel: zapcore.DebugLevel, HTTPAddr: ":9000", DataDir: "/var/lib/central",
					Migrate:   config.Migrate{Skip: true, Timeout: time.Minute},
					Seed:      config.Seed{Skip: true, Timeout: 2 * time.Hour, AllowOutOfOrder: true, OnChanged: config.SeedChangedError},
					Sensitive: config.Sensitive{Keys: "k1=base64key://abc", CurrentKey: "k1"},
					Shutdown:  config.Shutdown{Timeout: config.DefaultShutdownTimeout}}
				c.Postgres = config.Postgres{}
				if fmt.Sprintf("%#v", c) != fmt.Sprintf("%#v", want) || c.Sensitive.Keys.Reveal() != "k1=base64key://abc" {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name: "seed changed warn in development",
			env:  map[string]string{"SEED_CHANGED": "warn"},
			check: func(t *testing.T, c config.Config) {
				if c.Seed.OnChanged != config.SeedChangedWarn {
					t.Errorf("got %q", c.Seed.OnChanged)
				}
			},
		},
		{
			name: "system trust store in url",
			env: map[string]string{"POSTGRES_READWRITE_URL": rwURL + "&sslmode=verify-full&sslrootcert=system",
				"POSTGRES_READONLY_URL": roURL},
			check: func(t *testing.T, c config.Config) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string // "VAR: substring" in order
	}{
		{
			name: "every bad variable at once",
			env: map[string]string{"APP_ENV": "staging", "LOG_LEVEL": "loud", "HTTP_ADDR": "localhost",
				"SKIP_SEEDS": "maybe", "MIGRATE_TIMEOUT": "5", "POSTGRES_REPLICA_MAX_LAG": "-1s"},
			want: []string{"APP_ENV: \"staging\" is not one of", "LOG_LEVEL: ", "HTTP_ADDR: ", "POSTGRES_REPLICA_MAX_LAG: ",
				"MIGRATE_TIMEOUT: ", "SKIP_SEEDS: "},
		},
		{
			name: "url and parts conflict",
			env: map[string]string{"POSTGRES_READWRITE_URL": rwURL, "POSTGRES_READWRITE_HOST": "x",
				"POSTGRES_READONLY_URL": roURL},
			want: []string{"POSTGRES_READWRITE_HOST: conflicts with POSTGRES_READWRITE_URL"},
		},
		{
			name: "parts missing required",
			env:  map[string]string{"POSTGRES_READWRITE_PASSWORD": "pw", "POSTGRES_READWRITE_PORT": "99999", "POSTGRES_READONLY_URL": roURL},
			want: []string{"POSTGRES_READWRITE_HOST: required", "POSTGRES_READWRITE_PORT: ", "POSTGRES_READWRITE_DATABASE: required",
				"POSTGRES_READWRITE_USER: required"},
		},
		{
			name: "verify-full without root cert",
			env: map[string]string{"POSTGRES_READWRITE_HOST": "h", "POSTGRES_READWRITE_DATABASE": "d", "POSTGRES_READWRITE_USER": "u",
				"POSTGRES_READWRITE_SSLMODE": "verify-full", "POSTGRES_READONLY_URL": roURL + "&sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem"},
			want: []string{"POSTGRES_READWRITE_SSLROOTCERT: sslmode verify-full needs a root certificate",
				"POSTGRES_READONLY_URL: root certificate file \"/nonexistent/ca.pem\" cannot be read"},
		},
		{
			name: "bad sslmode",
			env: map[string]string{"POSTGRES_READWRITE_URL": "postgres://u:hunter2@h/db?sslmode=on", "POSTGRES_READONLY_HOST": "h", "POSTGRES_READONLY_DATABASE": "d",
				"POSTGRES_READONLY_USER": "u", "POSTGRES_READONLY_SSLMODE": "yes"},
			want: []string{"POSTGRES_READWRITE_URL: has sslmode \"on\"", "POSTGRES_READONLY_SSLMODE: \"yes\" is not one of"},
		},
		{
			name: "read-only side missing",
			env:  map[string]string{"POSTGRES_READWRITE_URL": rwURL},
			want: []string{"POSTGRES_READONLY_URL: not set"},
		},
		{
			name: "read-write side missing",
			env:  map[string]string{"POSTGRES_READONLY_URL": roURL},
			want: []string{"POSTGRES_READWRITE_URL: not set"},
		},
		{
			name: "not urls, secrets not echoed",
			env: map[string]string{"POSTGRES_READWRITE_URL": "mysql://root:hunter2@h/db", "POSTGRES_READONLY_URL": "postgres://ro:hunter2@/",
				"POSTGRES_REPLICA_URLS": "postgres://ro:hunter2@r1/central,::hunter2"},
			want: []string{"POSTGRES_READWRITE_URL: is not a postgres URL", "POSTGRES_READONLY_URL: has no host",
				"POSTGRES_READONLY_URL: names no database", "POSTGRES_REPLICA_URLS: entry 2 is not a postgres URL"},
		},
		{
			name: "production refuses embedded",
			env:  map[string]string{"APP_ENV": "production"},
			want: []string{"POSTGRES_READWRITE_URL: APP_ENV=production needs an external database"},
		},
		{
			name: "seed warn outside development",
			env:  map[string]string{"APP_ENV": "test", "SEED_CHANGED": "warn"},
			want: []string{"SEED_CHANGED: warn is allowed only with APP_ENV=development"},
		},
		{
			name: "pool size and app name",
			env:  map[string]string{"POSTGRES_READWRITE_POOL_SIZE": "0", "POSTGRES_READONLY_APP_NAME": "tab\there"},
			want: []string{"POSTGRES_READWRITE_POOL_SIZE: ", "POSTGRES_READONLY_APP_NAME: must be"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(env(tt.env))
			var ce *config.Error
			if !errors.As(err, &ce) || !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("want *config.Error, got %v", err)
			}
			var got []string
			for _, p := range ce.Problems {
				got = append(got, p.Var+": "+p.Msg)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i], w) && !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "r0secret") {
				t.Errorf("error leaks a secret: %v", err)
			}
		})
	}
}

func TestRedaction(t *testing.T) {
	c, err := config.Load(env(map[string]string{
		"POSTGRES_READWRITE_URL": rwURL, "POSTGRES_READONLY_URL": roURL + "&password=qsecret",
		"POSTGRES_REPLICA_URLS": "postgres://ro:repsecret@r1:5432/central", "SENSITIVE_KEYS": "keysecret", "SENSITIVE_CURRENT_KEY": "cursecret",
	}))
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	zap.New(core).Info("config", zap.Object("config", c), zap.Any("keys", c.Sensitive.Keys))
	var logged strings.Builder
	for _, e := range logs.All() {
		fmt.Fprintf(&logged, "%v", e.ContextMap())
	}
	outputs := map[string]string{
		"String": c.String(), "%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c),
		"zap": logged.String(),
	}
	for name, out := range outputs {
		for _, secret := range []string{"s3cret", "r0secret", "qsecret", "repsecret", "keysecret", "cursecret"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s leaks %q: %s", name, secret, out)
			}
		}
	}
	if !strings.Contains(c.String(), "postgres://central:REDACTED@db.example:5432/central") {
		t.Errorf("String lost the non-secret parts: %s", c.String())
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"postgres://u:p%40ss@h:5432/db", "postgres://u:REDACTED@h:5432/db"},
		{"postgres://u@h/db?sslmode=require", "postgres://u@h/db?sslmode=require"},
		{"postgres://h/db?password=x&user=u", "postgres://h/db?password=REDACTED&user=u"},
		{"host=h password=x", "[REDACTED]"},
		{"postgres://u:p@[::1", "[REDACTED]"},
	}
	for _, tt := range tests {
		if got := config.RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func ExampleLoad() {
	lookup := func(k string) (string, bool) {
		v, ok := map[string]string{
			"POSTGRES_READWRITE_URL": "postgres://central:pa%24%24@db:5432/central",
			"POSTGRES_READONLY_URL":  "postgres://central_ro:pa%24%24@db:5432/central",
			"POSTGRES_REPLICA_URLS":  "not a url",
		}[k]
		return v, ok
	}
	_, err := config.Load(lookup)
	fmt.Println(err)

	lookup = func(string) (string, bool) { return "", false }
	cfg, _ := config.Load(lookup)
	fmt.Println(cfg.Postgres.Embedded, cfg.Postgres.ReadOnly.AppName)
	// Output:
	// config: 1 invalid variable:
	//   POSTGRES_REPLICA_URLS: entry 1 is not a postgres URL; expected postgres://user:password@host:5432/database?sslmode=require (percent-encode special characters in the user and password)
	// true pg_readonly
}

func ExampleSecret() {
	s := config.Secret("hunter2")
	fmt.Println(s, fmt.Sprintf("%#v", s), s.Reveal())
	// Output: [REDACTED] config.Secret("[REDACTED]") hunter2
}

func TestWithURLs(t *testing.T) {
	c, err := config.Load(env(map[string]string{"POSTGRES_READONLY_POOL_SIZE": "9"}))
	if err != nil {
		t.Fatal(err)
	}
	pg := c.Postgres.WithURLs(rwURL, roURL)
	if pg.ReadWrite.URL.Reveal() != rwURL || pg.ReadOnly.URL.Reveal() != roURL || pg.ReadOnly.PoolSize != 9 || !pg.Embedded {
		t.Errorf("got %+v", pg)
	}
	if c.Postgres.ReadWrite.URL.IsSet() {
		t.Error("WithURLs changed its receiver")
	}
}
