package sensitive_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/sensitive/keyring"
)

// kib is a document whose JSON encoding is about 1 KiB.
type kib struct {
	Subject string   `json:"sub"`
	Email   string   `json:"email"`
	Groups  []string `json:"groups"`
	Note    string   `json:"note"`
}

func oneKiB() kib {
	v := kib{Subject: "00u1abcdefghijklmnop", Email: "alice@example.com", Groups: []string{"admins", "dev", "ops"}}
	v.Note = strings.Repeat("x", 1024-len(`{"sub":"00u1abcdefghijklmnop","email":"alice@example.com","groups":["admins","dev","ops"],"note":""}`))
	return v
}

func benchKeyring(b *testing.B) *sensitive.Keyring {
	if js, _ := json.Marshal(oneKiB()); len(js) != 1024 {
		b.Fatalf("benchmark value is %d bytes of JSON, want 1024", len(js))
	}
	kr, err := keyring.NewLocal("bench", 1, randomKey(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = kr.Close() })
	return kr
}

// BenchmarkSealOpen1KiB is one encrypt and one decrypt of a 1 KiB value with
// the local (base64key) keeper: JSON, a fresh data key, AES-256-GCM, and the
// keeper's wrap and unwrap (NaCl secretbox).
func BenchmarkSealOpen1KiB(b *testing.B) {
	ctx := context.Background()
	kr := benchKeyring(b)
	v := oneKiB()
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		s, err := sensitive.Seal(ctx, kr, v)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sensitive.Open(ctx, kr, s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanOpen1KiB is what reading a sealed 1 KiB column adds on the
// Go side: parsing the jsonb envelope and opening it.
func BenchmarkScanOpen1KiB(b *testing.B) {
	ctx := context.Background()
	kr := benchKeyring(b)
	s, err := sensitive.Seal(ctx, kr, oneKiB())
	if err != nil {
		b.Fatal(err)
	}
	stored, _ := s.Value()
	raw := []byte(stored.(string))
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		var got sensitive.Sealed[kib]
		if err := got.Scan(raw); err != nil {
			b.Fatal(err)
		}
		if _, err := sensitive.Open(ctx, kr, got); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSealValue1KiB is what writing a sealed 1 KiB column costs: sealing
// and producing the envelope text.
func BenchmarkSealValue1KiB(b *testing.B) {
	ctx := context.Background()
	kr := benchKeyring(b)
	v := oneKiB()
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		s, err := sensitive.Seal(ctx, kr, v)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Value(); err != nil {
			b.Fatal(err)
		}
	}
}
