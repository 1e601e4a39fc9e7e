package config

import (
	"slices"
	"testing"
)

// TestRedactorSecretsAreDistinct: every variable of every full environment
// yields each secret fragment once, longest first. Deliberate bug caught:
// sorting by length alone (Compact then leaves repeats that equal-length
// fragments separate, e.g. a password shared by two URLs).
func TestRedactorSecretsAreDistinct(t *testing.T) {
	envs := fullEnvs()
	envs["shared password"] = map[string]string{
		"POSTGRES_READWRITE_URL": "postgres://rw:same-pass-9@h/c",
		"POSTGRES_READONLY_URL":  "postgres://ro:other-pas-8@h/c",
		"POSTGRES_DIRECT_URL":    "postgres://ow:same-pass-9@h/c",
	}
	for name, env := range envs {
		r := NewRedactor(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		seen := map[string]bool{}
		for i, s := range r.secrets {
			if seen[s] {
				t.Errorf("%s: %q listed twice in %q", name, s, r.secrets)
			}
			seen[s] = true
			if i > 0 && len(s) > len(r.secrets[i-1]) {
				t.Errorf("%s: %q after the shorter %q", name, s, r.secrets[i-1])
			}
		}
		if len(r.secrets) == 0 || slices.Contains(r.secrets, "") {
			t.Errorf("%s: secrets %q", name, r.secrets)
		}
	}
}
