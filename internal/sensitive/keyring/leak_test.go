package keyring_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/central/central/internal/sensitive/keyring"
)

// TestParseSpecNeverQuotesKeyMaterial: malformed SENSITIVE_KEYS and
// SENSITIVE_CURRENT_KEY in every shape a key may be pasted in give an
// ErrInvalidSpec that holds no piece of the key. Deliberate bug: wrapping
// sensitive.ParseKeyRef's error (which quotes its input) as before.
func TestParseSpecNeverQuotesKeyMaterial(t *testing.T) {
	t.Parallel()
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(i*11 + 3)
	}
	k := base64.URLEncoding.EncodeToString(raw)
	valid := "prod:1=base64key://" + k
	for _, tt := range []struct{ keys, current string }{
		{k, ""},
		{strings.TrimRight(k, "="), ""},
		{"prod:1:" + k, ""},
		{"prod:" + k + "=base64key://" + k, ""},
		{k + ":1=base64key://" + k, ""},
		{"prod:1=" + k, ""},
		{"prod:1=base64key://" + k[:30], ""},
		{valid, k},
		{valid, "prod:1:" + k},
		{valid + ",prod:2=base64key://" + k, k + ":1"},
	} {
		_, err := keyring.ParseSpec(tt.keys, tt.current)
		if !errors.Is(err, keyring.ErrInvalidSpec) {
			t.Errorf("ParseSpec(%.12s…, %.12s…) = %v, want ErrInvalidSpec", tt.keys, tt.current, err)
			continue
		}
		for i := 0; i+10 <= len(k); i++ {
			if strings.Contains(err.Error(), k[i:i+10]) {
				t.Errorf("error quotes key material %q: %v", k[i:i+10], err)
				break
			}
		}
	}
}
