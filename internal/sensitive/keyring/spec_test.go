package keyring_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/sensitive/keyring"
)

func newKeyB64(t testing.TB) string {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return base64.URLEncoding.EncodeToString(k)
}

func ref(id string, v int) sensitive.KeyRef { return sensitive.KeyRef{ID: id, Version: v} }

func TestParseSpec(t *testing.T) {
	k1, k2 := newKeyB64(t), newKeyB64(t)
	short := base64.URLEncoding.EncodeToString([]byte("sixteen bytes!!!"))
	std := strings.NewReplacer("-", "+", "_", "/").Replace(k1)
	for strings.Count(std, "+")+strings.Count(std, "/") == 0 { // need a std-only character
		k1 = newKeyB64(t)
		std = strings.NewReplacer("-", "+", "_", "/").Replace(k1)
	}

	tests := []struct {
		name     string
		keys     string
		current  string
		want     []keyring.KeySpec
		wantCur  sensitive.KeyRef
		wantErr  string
		material []string // must not appear in the error
	}{
		{
			name:    "one key, current implied",
			keys:    "local-2026:1=base64key://" + k1,
			want:    []keyring.KeySpec{{Ref: ref("local-2026", 1), URL: "base64key://" + k1}},
			wantCur: ref("local-2026", 1),
		},
		{
			name:    "several keys, commas, spaces and newlines",
			keys:    " local:1=base64key://" + k1 + ",\n local:2=base64key://" + k2 + " ,vault:3=hashivault://central?engine=transit\n",
			current: "local:2",
			want: []keyring.KeySpec{
				{Ref: ref("local", 1), URL: "base64key://" + k1},
				{Ref: ref("local", 2), URL: "base64key://" + k2},
				{Ref: ref("vault", 3), URL: "hashivault://central?engine=transit"},
			},
			wantCur: ref("local", 2),
		},
		{name: "empty", keys: " , \n", wantErr: "no keys configured; set SENSITIVE_KEYS"},
		{name: "no equals", keys: "base64key://" + k1, wantErr: "want kid:version=URL", material: []string{k1}},
		{name: "bad reference", keys: "local=base64key://" + k1, wantErr: "want kid:version", material: []string{k1}},
		{name: "bad version", keys: "local:v2=base64key://" + k1, wantErr: "not an integer", material: []string{k1}},
		{name: "duplicate", keys: "a:1=base64key://" + k1 + ",a:1=base64key://" + k2, wantErr: `"a:1" configured twice`, material: []string{k1, k2}},
		{name: "no current among several", keys: "a:1=base64key://" + k1 + ",a:2=base64key://" + k2, wantErr: "set SENSITIVE_CURRENT_KEY", material: []string{k1, k2}},
		{name: "current not configured", keys: "a:1=base64key://" + k1, current: "a:2", wantErr: `current key "a:2" is not configured (configured: a:1)`, material: []string{k1}},
		{name: "bad current", keys: "a:1=base64key://" + k1, current: "a", wantErr: "current key", material: []string{k1}},
		{name: "empty local key", keys: "a:1=base64key://", wantErr: "new random key at every start"},
		{name: "short local key", keys: "a:1=base64key://" + short, wantErr: "is 16 bytes, want 32", material: []string{short}},
		{name: "standard base64", keys: "a:1=base64key://" + std, wantErr: "URL-safe base64", material: []string{std}},
		{name: "local key with query", keys: "a:1=base64key://" + k1 + "?x=1", wantErr: "no path or query", material: []string{k1}},
		{name: "no scheme", keys: "a:1=" + k1, wantErr: "not a scheme://", material: []string{k1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := keyring.ParseSpec(tt.keys, tt.current)
			if tt.wantErr != "" {
				if !errors.Is(err, keyring.ErrInvalidSpec) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSpec error = %v, want %q", err, tt.wantErr)
				}
				for _, m := range tt.material {
					if strings.Contains(err.Error(), m) {
						t.Fatalf("error leaks key material: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got.Keys) != fmt.Sprint(tt.want) || got.Current != tt.wantCur {
				t.Fatalf("ParseSpec = %v", got)
			}
			for i := range got.Keys {
				if got.Keys[i] != tt.want[i] {
					t.Fatalf("key %d = %#v", i, got.Keys[i].Ref)
				}
			}
		})
	}
}

func TestSpecRedaction(t *testing.T) {
	k1 := newKeyB64(t)
	spec, err := keyring.ParseSpec("local:1=base64key://"+k1+",vault:2=hashivault://central?engine=transit", "local:1")
	if err != nil {
		t.Fatal(err)
	}
	var sb bytes.Buffer
	slog.New(slog.NewTextHandler(&sb, nil)).Info("cfg", "spec", spec)
	for name, out := range map[string]string{
		"String": spec.String(),
		"%v":     fmt.Sprintf("%v", spec),
		"%+v":    fmt.Sprintf("%+v", spec),
		"%#v":    fmt.Sprintf("%#v", spec),
		"key %v": fmt.Sprintf("%+v", spec.Keys[0]),
		"slog":   sb.String(),
	} {
		if strings.Contains(out, k1) || strings.Contains(out, k1[:12]) {
			t.Errorf("%s leaks the local key: %s", name, out)
		}
		if !strings.Contains(out, "local:1=base64key://[REDACTED]") {
			t.Errorf("%s = %s", name, out)
		}
	}
	if got := spec.String(); got != "keys=local:1=base64key://[REDACTED],vault:2=hashivault://central?[REDACTED] current=local:1" {
		t.Errorf("String = %s", got)
	}
}
