package config_test

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/central/central/internal/config"
)

// TestRedactorRemovesEverySecretShape: whatever code quotes a secret
// (whole, a part of it, %q-escaped, JSON-escaped, percent-encoded), the
// Redactor blanks it. Deliberate bug: returning s unchanged from Redact.
func TestRedactorRemovesEverySecretShape(t *testing.T) {
	t.Parallel()
	const key = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80="
	r := config.NewRedactor(env(map[string]string{
		"SENSITIVE_KEYS":              "prod:1:" + key + ", old:1=base64key://" + strings.Repeat("A", 43) + "=",
		"POSTGRES_READWRITE_URL":      "postgres://central:pa/ss\"w0rd@db.example/central",
		"POSTGRES_READONLY_PASSWORD":  "ro-p@ss word",
		"POSTGRES_REPLICA_URLS":       "postgres://r:replica-pw-1@h1/c?sslmode=disable,postgres://r:replica-pw-2@h2/c",
		"POSTGRES_READONLY_URL":       "host=db password=dsn-pass-9",
		"POSTGRES_DIRECT_URL":         "postgres://owner:direct-pw-7@primary/central",
		"POSTGRES_DIRECT_PASSWORD":    "direct-pw-8",
		"POSTGRES_READWRITE_APP_NAME": "not-a-secret",
	}))
	vault := config.NewRedactor(env(map[string]string{"SENSITIVE_KEYS": "prod:1=hashivault://central,prod:2=base64key://" + key}))
	if got := vault.Redact("Central listens; central_http_requests; hashivault://central; " + key); got !=
		"Central listens; central_http_requests; hashivault://central; [REDACTED]" {
		t.Errorf("a keeper URL that is not key material was redacted, or the key was not: %s", got)
	}
	for _, text := range []string{
		"entry 1: key reference \"prod:1:" + key + "\" is bad",
		"key " + strings.TrimRight(key, "=") + " has no padding",
		"base64key://" + strings.Repeat("A", 43) + "= is short",
		"port \"pa/ss\\\"w0rd\" is invalid",
		fmt.Sprintf("%q", "pa/ss\"w0rd"),
		`{"password":"pa/ss\"w0rd"}`,
		"password=ro-p%40ss+word",
		"ro-p@ss word",
		"replica replica-pw-2 down",
		"password dsn-pass-9",
		"direct connection postgres://owner:direct-pw-7@primary/central refused",
		"password direct-pw-8 rejected",
	} {
		got := r.Redact(text)
		for _, s := range []string{key[:20], strings.Repeat("A", 20), "w0rd", "ro-p", "replica-pw", "dsn-pass", "direct-pw"} {
			if strings.Contains(got, s) {
				t.Errorf("Redact(%s) = %s: still holds %q", strconv.Quote(text), got, s)
			}
		}
	}
	if got := r.Redact("app name not-a-secret, sslmode=disable"); got != "app name not-a-secret, sslmode=disable" {
		t.Errorf("redacted a setting that is not secret: %s", got)
	}
	var buf bytes.Buffer
	fmt.Fprintf(r.Writer(&buf), "boom: %s\n", key)
	if strings.Contains(buf.String(), key) || !strings.Contains(buf.String(), "[REDACTED]") {
		t.Errorf("writer passed the key through: %s", buf.String())
	}
}
