package sensitive_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/central/central/internal/sensitive"
)

func TestScanValue(t *testing.T) {
	ctx := context.Background()
	kr := newKeyring(t, ref("a", 1), map[sensitive.KeyRef][]byte{ref("a", 1): randomKey(t)})
	sealed, err := sensitive.Seal(ctx, kr, doc)
	if err != nil {
		t.Fatal(err)
	}
	v, err := sealed.Value()
	if err != nil {
		t.Fatal(err)
	}
	text, ok := v.(string)
	if !ok {
		t.Fatalf("Value() is %T, want string (jsonb text)", v)
	}
	// PostgreSQL returns jsonb with its keys reordered and spaced.
	var m map[string]any
	_ = json.Unmarshal([]byte(text), &m)
	pgStyle := `{"n": "` + m["n"].(string) + `", "v": 2, "ct": "` + m["ct"].(string) + `", "kid": "a", "wdk": "` + m["wdk"].(string) + `", "kver": 1}`

	tests := []struct {
		name     string
		src      any
		wantZero bool
		wantOpen error // nil: opens to doc
	}{
		{name: "string", src: text},
		{name: "bytes", src: []byte(text)},
		{name: "jsonb text from PostgreSQL", src: pgStyle},
		{name: "NULL", src: nil, wantZero: true, wantOpen: sensitive.ErrNull},
		{name: "JSON null", src: []byte("null"), wantZero: true, wantOpen: sensitive.ErrNull},
		{name: "plaintext document", src: `{"sub":"subject-PLAINTEXT-7f3a","email":"alice.plaintext@example.com"}`, wantOpen: sensitive.ErrMalformed},
		{name: "JSON array", src: `[1,2,3]`, wantOpen: sensitive.ErrMalformed},
		{name: "JSON string", src: `"subject-PLAINTEXT-7f3a"`, wantOpen: sensitive.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s sensitive.Sealed[secretDoc]
			if err := s.Scan(tt.src); err != nil {
				t.Fatalf("Scan: %v", err)
			}
			if s.IsZero() != tt.wantZero {
				t.Fatalf("IsZero = %v", s.IsZero())
			}
			got, err := sensitive.Open(ctx, kr, s)
			if tt.wantOpen == nil {
				if err != nil || got.Subject != doc.Subject {
					t.Fatalf("Open: %v", err)
				}
				if s.Key() != ref("a", 1) {
					t.Fatalf("Key = %v", s.Key())
				}
				return
			}
			if !errors.Is(err, tt.wantOpen) {
				t.Fatalf("Open error = %v, want %v", err, tt.wantOpen)
			}
			assertNoLeak(t, "Open error", err.Error())
			v, verr := s.Value()
			if tt.wantOpen == sensitive.ErrMalformed {
				// A malformed value is never written back, and the error does not quote it.
				if !errors.Is(verr, sensitive.ErrMalformed) || !errors.Is(s.Err(), sensitive.ErrMalformed) {
					t.Fatalf("Value() of malformed = %v, %v", v, verr)
				}
				assertNoLeak(t, "Value error", verr.Error())
				if _, err := json.Marshal(s); err == nil {
					t.Fatal("MarshalJSON of a malformed value succeeded")
				}
			} else if v != nil || verr != nil {
				t.Fatalf("Value() of NULL = %v, %v", v, verr)
			}
		})
	}

	var s sensitive.Sealed[secretDoc]
	if err := s.Scan(42); err == nil || !strings.Contains(err.Error(), "int") {
		t.Fatalf("Scan(int) = %v", err)
	}
	// UnmarshalJSON is strict where Scan is lenient.
	if err := json.Unmarshal([]byte(`{"sub":"x"}`), &s); !errors.Is(err, sensitive.ErrMalformed) {
		t.Fatalf("UnmarshalJSON(plaintext) = %v", err)
	}
	// Zero marshals as null.
	if b, err := json.Marshal(sensitive.Sealed[secretDoc]{}); err != nil || string(b) != "null" {
		t.Fatalf("MarshalJSON(zero) = %s, %v", b, err)
	}
}

func TestKeyRef(t *testing.T) {
	tests := []struct {
		in      string
		want    sensitive.KeyRef
		wantErr string
	}{
		{in: "local-2026:3", want: ref("local-2026", 3)},
		{in: " a.b_c-D:1 ", want: ref("a.b_c-D", 1)},
		{in: "local", wantErr: "want kid:version"},
		{in: "local:x", wantErr: "not an integer"},
		{in: "local:0", wantErr: "out of range"},
		{in: "local:-1", wantErr: "out of range"},
		{in: ":1", wantErr: "empty key id"},
		{in: "lo cal:1", wantErr: "not allowed"},
		{in: "a:b:1", wantErr: "not an integer"},
		{in: strings.Repeat("k", 65) + ":1", wantErr: "longer than 64"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := sensitive.ParseKeyRef(tt.in)
			if tt.wantErr != "" {
				if !errors.Is(err, sensitive.ErrInvalidKeyring) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseKeyRef(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want || got.String() != strings.TrimSpace(tt.in) {
				t.Fatalf("ParseKeyRef(%q) = %v, %v", tt.in, got, err)
			}
		})
	}
}

func TestNewKeyringValidation(t *testing.T) {
	good := localKeeper(t, randomKey(t))
	tests := []struct {
		name    string
		current sensitive.KeyRef
		keepers map[sensitive.KeyRef]sensitive.Keeper
		opts    []sensitive.Option
		wantErr string
	}{
		{name: "no keys", current: ref("a", 1), wantErr: "no keys"},
		{name: "current missing", current: ref("b", 1), keepers: map[sensitive.KeyRef]sensitive.Keeper{ref("a", 1): good}, wantErr: `current key "b:1" is not among the configured keys (a:1)`},
		{name: "nil keeper", current: ref("a", 1), keepers: map[sensitive.KeyRef]sensitive.Keeper{ref("a", 1): nil}, wantErr: "nil keeper"},
		{name: "bad ref", current: ref("a", 1), keepers: map[sensitive.KeyRef]sensitive.Keeper{ref("a", 1): good, ref("a", 0): good}, wantErr: "out of range"},
		{name: "nil random", current: ref("a", 1), keepers: map[sensitive.KeyRef]sensitive.Keeper{ref("a", 1): good}, opts: []sensitive.Option{sensitive.WithRandom(nil)}, wantErr: "WithRandom(nil)"},
		{name: "nil option", current: ref("a", 1), keepers: map[sensitive.KeyRef]sensitive.Keeper{ref("a", 1): good}, opts: []sensitive.Option{nil}, wantErr: "nil option"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr, err := sensitive.NewKeyring(tt.current, tt.keepers, tt.opts...)
			if kr != nil || !errors.Is(err, sensitive.ErrInvalidKeyring) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewKeyring = %v, %v; want error with %q", kr, err, tt.wantErr)
			}
		})
	}

	kr, err := sensitive.NewKeyring(ref("b", 2), map[sensitive.KeyRef]sensitive.Keeper{ref("b", 2): good, ref("a", 9): good, ref("b", 1): good})
	if err != nil {
		t.Fatal(err)
	}
	if kr.Current() != ref("b", 2) || !kr.Has(ref("a", 9)) || kr.Has(ref("a", 1)) {
		t.Fatal("Current/Has")
	}
	if got := kr.Keys(); len(got) != 3 || got[0] != ref("a", 9) || got[1] != ref("b", 1) || got[2] != ref("b", 2) {
		t.Fatalf("Keys = %v", got)
	}
}

type closeCounter struct {
	sensitive.Keeper
	closed *int
}

func (c closeCounter) Close() error { *c.closed++; return nil }

func TestKeyringCheckAndClose(t *testing.T) {
	ctx := context.Background()
	closed := 0
	good := closeCounter{Keeper: localKeeper(t, randomKey(t)), closed: &closed}
	kr, err := sensitive.NewKeyring(ref("a", 1), map[sensitive.KeyRef]sensitive.Keeper{ref("a", 1): good, ref("a", 2): good})
	if err != nil {
		t.Fatal(err)
	}
	if err := kr.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if err := kr.Close(); err != nil || closed != 2 {
		t.Fatalf("Close: %v, closed %d keepers", err, closed)
	}

	bad, err := sensitive.NewKeyring(ref("a", 1), map[sensitive.KeyRef]sensitive.Keeper{
		ref("a", 1): good, ref("down", 1): failingKeeper{err: sensitive.ErrKeeperUnavailable}, ref("liar", 1): liarKeeper{},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = bad.Check(ctx)
	if !errors.Is(err, sensitive.ErrKeeperUnavailable) || !strings.Contains(err.Error(), `"down:1"`) || !strings.Contains(err.Error(), `"liar:1"`) || strings.Contains(err.Error(), `"a:1"`) {
		t.Fatalf("Check = %v", err)
	}
}

// liarKeeper "unwraps" to something else than it wrapped.
type liarKeeper struct{}

func (liarKeeper) Encrypt(_ context.Context, b []byte) ([]byte, error) { return b, nil }
func (liarKeeper) Decrypt(_ context.Context, b []byte) ([]byte, error) {
	return append([]byte{b[0] ^ 0xff}, b[1:]...), nil
}
