package config

import (
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fullEnvs between them set every variable Load reads, and give every Secret
// field of Config a value holding a password or key.
func fullEnvs() map[string]map[string]string {
	const key = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80="
	const pasted = "ZmFrZS1rZXktcGFzdGVkLWFzLWN1cnJlbnQtcmVmZXI=" // in no other variable
	return map[string]map[string]string{
		"urls, production, pooler": {
			"APP_ENV": "production", "LOG_LEVEL": "debug", "HTTP_ADDR": ":9000", "DATA_DIR": "/tmp/x",
			"POSTGRES_READWRITE_URL":      "postgres://rw:rw-pass-1@pooler.example/central?sslmode=disable",
			"POSTGRES_READONLY_URL":       "postgres://ro:ro-pass-2@pooler.example/central?sslmode=disable",
			"POSTGRES_REPLICA_URLS":       "postgres://rep:rep-pass-3@r1.example/central?sslmode=disable",
			"POSTGRES_DIRECT_URL":         "postgres://owner:direct-pass-4@primary.example/central?sslmode=disable",
			"POSTGRES_ALLOW_INSECURE_TLS": "true", "POSTGRES_POOLER": "transaction",
			"POSTGRES_REPLICA_MAX_LAG": "2s", "DB_SLOW_QUERY_THRESHOLD": "1s",
			"SKIP_MIGRATIONS": "true", "MIGRATE_TIMEOUT": "1m", "SKIP_SEEDS": "true", "SEED_TIMEOUT": "1m",
			"SEED_ALLOW_OUT_OF_ORDER": "true", "SEED_CHANGED": "error", "SHUTDOWN_DELAY": "1s", "SHUTDOWN_TIMEOUT": "2s",
			"SENSITIVE_KEYS": "prod:1=base64key://" + key, "SENSITIVE_CURRENT_KEY": "prod:2:" + pasted,
		},
		"per-part": {
			"POSTGRES_POOLER":         "transaction",
			"POSTGRES_READWRITE_HOST": "h", "POSTGRES_READWRITE_PORT": "5433", "POSTGRES_READWRITE_DATABASE": "d",
			"POSTGRES_READWRITE_USER": "u", "POSTGRES_READWRITE_PASSWORD": "part-pass-5", "POSTGRES_READWRITE_SSLMODE": "verify-full",
			"POSTGRES_READWRITE_SSLROOTCERT": "system", "POSTGRES_READWRITE_POOL_SIZE": "3", "POSTGRES_READWRITE_APP_NAME": "a",
			"POSTGRES_READONLY_HOST": "h", "POSTGRES_READONLY_PORT": "5433", "POSTGRES_READONLY_DATABASE": "d",
			"POSTGRES_READONLY_USER": "u", "POSTGRES_READONLY_PASSWORD": "part-pass-6", "POSTGRES_READONLY_SSLMODE": "verify-full",
			"POSTGRES_READONLY_SSLROOTCERT": "system", "POSTGRES_READONLY_POOL_SIZE": "3", "POSTGRES_READONLY_APP_NAME": "b",
			"POSTGRES_DIRECT_HOST": "p", "POSTGRES_DIRECT_PORT": "5432", "POSTGRES_DIRECT_DATABASE": "d",
			"POSTGRES_DIRECT_USER": "u", "POSTGRES_DIRECT_PASSWORD": "part-pass-7", "POSTGRES_DIRECT_SSLMODE": "verify-full",
			"POSTGRES_DIRECT_SSLROOTCERT": "system", "POSTGRES_DIRECT_POOL_SIZE": "3", "POSTGRES_DIRECT_APP_NAME": "c",
		},
	}
}

func mapLookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestVariablesDeclaredAndRead: Load reads exactly the variables
// variables() declares (less the foreign ones), so the declaration the
// Redactor walks is the parser's own. Deliberate bugs: deleting
// POSTGRES_DIRECT_PASSWORD from variables() (Load fails: "read but not
// declared"); declaring it public (Load fails: "declared secret but read as
// a public value"); declaring a variable nothing reads.
func TestVariablesDeclaredAndRead(t *testing.T) {
	t.Parallel()
	read := map[string]bool{}
	for name, env := range fullEnvs() {
		_, err := Load(func(k string) (string, bool) { read[k] = true; return mapLookup(env)(k) })
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	var want []string
	for _, v := range variables() {
		if !v.foreign {
			want = append(want, v.name)
		}
	}
	slices.Sort(want)
	got := slices.Sorted(maps.Keys(read))
	if !slices.Equal(got, want) {
		t.Errorf("Load reads %v\nvariables() declares %v", got, want)
	}
	for name, env := range fullEnvs() {
		for k := range env {
			if !slices.Contains(want, k) {
				t.Errorf("%s sets %s, which nothing reads", name, k)
			}
		}
	}
}

// TestEverySecretFieldIsRedacted: every Secret in the Config that Load
// builds from an environment is removed by the Redactor of that
// environment, and the environments exercise every Secret field of Config
// (a new one must be added to fullEnvs). Deliberate bugs: making the
// Redactor skip secretValue variables (every URL and password survives);
// skipping keyReference variables (the key pasted into
// SENSITIVE_CURRENT_KEY survives).
func TestEverySecretFieldIsRedacted(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for name, env := range fullEnvs() {
		c, err := Load(mapLookup(env))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r := NewRedactor(mapLookup(env))
		walkSecrets(reflect.ValueOf(c), "Config", func(path string, s Secret) {
			if !s.IsSet() {
				return
			}
			seen[path] = true
			secret := s.Reveal()
			if u, err := url.Parse(secret); err == nil && u.Scheme == "postgres" {
				pw, ok := u.User.Password()
				if !ok {
					t.Fatalf("%s: %s has no password to look for", name, path)
				}
				secret = pw
			}
			if got := r.Redact("value: " + s.Reveal()); strings.Contains(got, secret) {
				t.Errorf("%s: %s survives the Redactor: %s", name, path, got)
			}
		})
	}
	ref := NewRedactor(mapLookup(map[string]string{"SENSITIVE_CURRENT_KEY": "local-2026:2"}))
	if got := ref.Redact("current key local-2026:2"); got != "current key local-2026:2" {
		t.Errorf("a key reference (not secret) was redacted: %s", got)
	}
	var all []string
	walkSecretTypes(reflect.TypeOf(Config{}), "Config", &all)
	for _, path := range all {
		if !seen[path] {
			t.Errorf("no environment in fullEnvs sets %s", path)
		}
	}
}

var secretType = reflect.TypeOf(Secret(""))

func walkSecrets(v reflect.Value, path string, f func(string, Secret)) {
	switch {
	case v.Type() == secretType:
		f(path, v.Interface().(Secret))
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			walkSecrets(v.Field(i), path+"."+v.Type().Field(i).Name, f)
		}
	case v.Kind() == reflect.Slice:
		for i := range v.Len() {
			walkSecrets(v.Index(i), path+"[]", f)
		}
	}
}

func walkSecretTypes(t reflect.Type, path string, out *[]string) {
	switch {
	case t == secretType:
		*out = append(*out, path)
	case t.Kind() == reflect.Struct:
		for i := range t.NumField() {
			walkSecretTypes(t.Field(i).Type, path+"."+t.Field(i).Name, out)
		}
	case t.Kind() == reflect.Slice:
		walkSecretTypes(t.Elem(), path+"[]", out)
	}
}
