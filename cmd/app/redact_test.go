package main

import (
	"encoding/base64"
	"maps"
	"strings"
	"testing"

	"github.com/central/central/internal/dbtest"
)

// TestNoSecretInAnyOutput feeds malformed key and URL variables to the
// binary and asserts that no input secret (nor any 12-character piece of a
// key) appears in its standard output or standard error, which carries the
// logs. Deliberate bugs: quoting the key reference in keyring.ParseSpec
// (a bare base64 key and "prod:1:<key>" came back whole, three times),
// quoting the "port" in config.checkURL (an unescaped '/' in a password
// moves the password there), removing the config.Redactor around the
// CLI's writers and log sink.
func TestNoSecretInAnyOutput(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(200 - i*5)
	}
	k := base64.URLEncoding.EncodeToString(key)
	std := base64.StdEncoding.EncodeToString(key)
	base := map[string]string{"POSTGRES_READWRITE_URL": db.URL, "POSTGRES_READONLY_URL": db.ReadOnlyURL}
	tests := []struct {
		name    string
		env     map[string]string
		secrets []string
	}{
		{"bare key", map[string]string{"SENSITIVE_KEYS": k}, []string{k}},
		{"bare key without padding", map[string]string{"SENSITIVE_KEYS": strings.TrimRight(k, "=")}, []string{k}},
		{"kid:version:key", map[string]string{"SENSITIVE_KEYS": "prod:1:" + k}, []string{k}},
		{"kid:version=key without scheme", map[string]string{"SENSITIVE_KEYS": "prod:1=" + k}, []string{k}},
		{"standard base64", map[string]string{"SENSITIVE_KEYS": "prod:1=base64key://" + std}, []string{std}},
		{"short key", map[string]string{"SENSITIVE_KEYS": "prod:1=base64key://" + k[:24]}, []string{k[:24]}},
		{"key with a path", map[string]string{"SENSITIVE_KEYS": "prod:1=base64key://" + k + "/x"}, []string{k}},
		{"two bare keys", map[string]string{"SENSITIVE_KEYS": k + "," + k, "SENSITIVE_CURRENT_KEY": "prod:1"}, []string{k}},
		{"key pasted as current", map[string]string{"SENSITIVE_KEYS": "prod:1=base64key://" + k, "SENSITIVE_CURRENT_KEY": "prod:1:" + k}, []string{k}},
		{"slash in password", map[string]string{"POSTGRES_READWRITE_URL": "postgres://central:Tr0ub4dor/3xyzzy@db.example/central"},
			[]string{"Tr0ub4dor", "3xyzzy"}},
		{"hash in password", map[string]string{"POSTGRES_READWRITE_URL": "postgres://central:hunter#2secret@127.0.0.1:1/central"},
			[]string{"hunter", "2secret"}},
		{"keyword DSN", map[string]string{"POSTGRES_READWRITE_URL": "host=db.example password=kw-s3cretpass"}, []string{"kw-s3cretpass"}},
		{"replica with bad port", map[string]string{"POSTGRES_REPLICA_URLS": "postgres://ro:rep/l1c4pass@db.example:99999/c"},
			[]string{"rep/l1c4pass", "l1c4pass"}},
		{"per-part password, no host", map[string]string{"POSTGRES_READWRITE_URL": "", "POSTGRES_READWRITE_PASSWORD": "pp:w@rd/with#all?chars",
			"POSTGRES_READWRITE_USER": "u"}, []string{"pp:w@rd/with#all?chars", "w@rd/with"}},
		{"production insecure", map[string]string{"APP_ENV": "production", "POSTGRES_READWRITE_URL": "postgres://u:pr0d-pass-1@db.example/c?sslmode=disable",
			"SENSITIVE_KEYS": "prod:1=base64key://" + k}, []string{"pr0d-pass-1", k}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"DATA_DIR": t.TempDir(), "LOG_LEVEL": "debug"}
			maps.Copy(env, base)
			maps.Copy(env, tt.env)
			for k, v := range env {
				if v == "" {
					delete(env, k)
				}
			}
			res := runCLI(t, env, "db", "rekey")
			if res.code == 0 {
				t.Fatalf("malformed configuration accepted\nstdout:\n%s\nstderr:\n%s", res.stdout, res.stderr)
			}
			out := res.stdout + res.stderr
			for _, s := range tt.secrets {
				for _, piece := range pieces(s, 12) {
					if strings.Contains(out, piece) {
						t.Errorf("output holds %q (of a secret):\n%s", piece, out)
						break
					}
				}
			}
		})
	}
}

// pieces returns s and, when s is longer than n, every n-character window.
func pieces(s string, n int) []string {
	out := []string{s}
	for i := 0; i+n <= len(s) && len(s) > n; i++ {
		out = append(out, s[i:i+n])
	}
	return out
}
