package config_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/central/central/internal/config"
)

// TestProductionTLSPolicy: with APP_ENV=production, every database target
// (primary, read-only, each replica) must verify the server unless it is
// loopback; POSTGRES_ALLOW_INSECURE_TLS=true accepts and lists them.
// Development keeps accepting anything. Deliberate bug: dropping the
// checkProductionTLS pass (sslmode=disable to a remote host was accepted).
func TestProductionTLSPolicy(t *testing.T) {
	t.Parallel()
	cert := t.TempDir() + "/ca.pem"
	writeFile(t, cert)
	remote := func(q string) string { return "postgres://u:pw@db.example:5432/central" + q }
	verify := remote("?sslmode=verify-full&sslrootcert=" + cert)
	tests := []struct {
		name   string
		env    map[string]string
		badVar string // "" when valid
	}{
		{"verify-full", map[string]string{"POSTGRES_READWRITE_URL": verify, "POSTGRES_READONLY_URL": verify}, ""},
		{"verify-ca", map[string]string{"POSTGRES_READWRITE_URL": remote("?sslmode=verify-ca&sslrootcert=" + cert), "POSTGRES_READONLY_URL": verify}, ""},
		{"disable", map[string]string{"POSTGRES_READWRITE_URL": remote("?sslmode=disable"), "POSTGRES_READONLY_URL": verify}, "POSTGRES_READWRITE_URL"},
		{"allow", map[string]string{"POSTGRES_READWRITE_URL": remote("?sslmode=allow"), "POSTGRES_READONLY_URL": verify}, "POSTGRES_READWRITE_URL"},
		{"prefer", map[string]string{"POSTGRES_READWRITE_URL": verify, "POSTGRES_READONLY_URL": remote("?sslmode=prefer")}, "POSTGRES_READONLY_URL"},
		{"missing", map[string]string{"POSTGRES_READWRITE_URL": verify, "POSTGRES_READONLY_URL": remote("")}, "POSTGRES_READONLY_URL"},
		{"require remote", map[string]string{"POSTGRES_READWRITE_URL": remote("?sslmode=require"), "POSTGRES_READONLY_URL": verify}, "POSTGRES_READWRITE_URL"},
		{"replica", map[string]string{"POSTGRES_READWRITE_URL": verify, "POSTGRES_READONLY_URL": verify,
			"POSTGRES_REPLICA_URLS": verify + "," + remote("?sslmode=require")}, "POSTGRES_REPLICA_URLS"},
		{"per-part", map[string]string{"POSTGRES_READWRITE_HOST": "db.example", "POSTGRES_READWRITE_DATABASE": "c", "POSTGRES_READWRITE_USER": "u",
			"POSTGRES_READWRITE_SSLMODE": "require", "POSTGRES_READONLY_URL": verify}, "POSTGRES_READWRITE_SSLMODE"},
		{"loopback require", map[string]string{"POSTGRES_READWRITE_URL": "postgres://u@127.0.0.1:5432/c?sslmode=require",
			"POSTGRES_READONLY_URL": "postgres://u@[::1]:5432/c?sslmode=require"}, ""},
		{"loopback sidecar", map[string]string{"POSTGRES_READWRITE_URL": "postgres://u@localhost:5432/c?sslmode=disable",
			"POSTGRES_READONLY_URL": "postgres://u@localhost/c?host=/var/run/postgresql"}, ""},
		{"loopback and remote", map[string]string{"POSTGRES_READWRITE_URL": "postgres://u@localhost/c?host=db.example&sslmode=disable",
			"POSTGRES_READONLY_URL": verify}, "POSTGRES_READWRITE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"APP_ENV": "production"}
			for k, v := range tt.env {
				vars[k] = v
			}
			_, err := config.Load(env(vars))
			if tt.badVar == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ce *config.Error
			if !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Var != tt.badVar ||
				!strings.Contains(ce.Problems[0].Msg, "verify-full") || !strings.Contains(ce.Problems[0].Msg, "POSTGRES_ALLOW_INSECURE_TLS") {
				t.Fatalf("error %v, want one problem for %s naming verify-full and the override", err, tt.badVar)
			}
			if strings.Contains(err.Error(), "pw") {
				t.Errorf("error quotes the password: %v", err)
			}
			// The override accepts it and lists it for the loud warning.
			vars["POSTGRES_ALLOW_INSECURE_TLS"] = "true"
			c, err := config.Load(env(vars))
			if err != nil {
				t.Fatalf("with the override: %v", err)
			}
			if len(c.Postgres.InsecureTLS) == 0 || c.Postgres.InsecureTLS[0].Var != tt.badVar {
				t.Errorf("insecure targets %+v, want %s listed", c.Postgres.InsecureTLS, tt.badVar)
			}
			// Development keeps today's behaviour.
			delete(vars, "POSTGRES_ALLOW_INSECURE_TLS")
			vars["APP_ENV"] = "development"
			if _, err := config.Load(env(vars)); err != nil {
				t.Errorf("development refused: %v", err)
			}
		})
	}
}

func TestShutdownSettings(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		env          map[string]string
		delay, limit time.Duration
	}{
		{map[string]string{}, 0, config.DefaultShutdownTimeout},
		{map[string]string{"APP_ENV": "production", "POSTGRES_READWRITE_URL": "postgres://u@localhost/c", "POSTGRES_READONLY_URL": "postgres://u@localhost/c",
			"SENSITIVE_KEYS": "k:1=base64key://x"}, config.DefaultShutdownDelay, config.DefaultShutdownTimeout},
		{map[string]string{"SHUTDOWN_DELAY": "15s", "SHUTDOWN_TIMEOUT": "40s"}, 15 * time.Second, 40 * time.Second},
	} {
		c, err := config.Load(env(tt.env))
		if err != nil {
			t.Fatal(err)
		}
		if c.Shutdown.Delay != tt.delay || c.Shutdown.Timeout != tt.limit {
			t.Errorf("%v: shutdown %+v", tt.env, c.Shutdown)
		}
	}
	if _, err := config.Load(env(map[string]string{"SHUTDOWN_TIMEOUT": "0"})); err == nil {
		t.Error("SHUTDOWN_TIMEOUT=0 accepted")
	}
}

func writeFile(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}
