package sensitive_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/central/central/internal/sensitive"
)

func TestSealOpenRoundTrip(t *testing.T) {
	ctx := context.Background()
	kr := newKeyring(t, ref("local", 1), map[sensitive.KeyRef][]byte{ref("local", 1): randomKey(t)})

	t.Run("struct", func(t *testing.T) { roundTrip(t, ctx, kr, doc) })
	t.Run("string", func(t *testing.T) { roundTrip(t, ctx, kr, "client-secret-PLAINTEXT") })
	t.Run("empty string", func(t *testing.T) { roundTrip(t, ctx, kr, "") })
	t.Run("map", func(t *testing.T) { roundTrip(t, ctx, kr, map[string]any{"a": "b", "n": 1.5}) })
	t.Run("raw JSON", func(t *testing.T) { roundTrip(t, ctx, kr, json.RawMessage(`{"x":[1,2,3]}`)) })
	t.Run("large", func(t *testing.T) { roundTrip(t, ctx, kr, strings.Repeat("PLAINTEXT", 100_000)) })
}

func roundTrip[T any](t *testing.T, ctx context.Context, kr *sensitive.Keyring, v T) {
	t.Helper()
	s, err := sensitive.Seal(ctx, kr, v)
	if err != nil {
		t.Fatal(err)
	}
	if s.IsZero() || s.Key() != kr.Current() {
		t.Fatalf("sealed %v under %v, want current %v", s, s.Key(), kr.Current())
	}
	// Through the stored form and back.
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back sensitive.Sealed[T]
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	got, err := sensitive.Open(ctx, kr, back)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, v) {
		t.Fatalf("round trip changed the value")
	}
}

func TestEnvelopeShapeAndNoPlaintext(t *testing.T) {
	ctx := context.Background()
	kr := newKeyring(t, ref("local-2026", 3), map[sensitive.KeyRef][]byte{ref("local-2026", 3): randomKey(t)})
	s1, err := sensitive.Seal(ctx, kr, doc)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := sensitive.Seal(ctx, kr, doc)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := json.Marshal(s1)
	b2, _ := json.Marshal(s2)
	assertNoLeak(t, "envelope", string(b1))

	var m map[string]any
	if err := json.Unmarshal(b1, &m); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(sortedKeys(m), ","); got != "ct,kid,kver,n,v,wdk" {
		t.Fatalf("envelope fields = %s", got)
	}
	if m["v"] != 2.0 || m["kid"] != "local-2026" || m["kver"] != 3.0 {
		t.Fatalf("envelope metadata = %v %v %v", m["v"], m["kid"], m["kver"])
	}
	if n, _ := base64.StdEncoding.DecodeString(m["n"].(string)); len(n) != 12 {
		t.Fatalf("nonce is %d bytes", len(n))
	}

	// Same value twice: fresh data key and nonce each time.
	var m2 map[string]any
	if err := json.Unmarshal(b2, &m2); err != nil || len(m2) == 0 {
		t.Fatalf("second seal %s: %v", b2, err) // else the comparison below is vacuous
	}
	for _, f := range []string{"wdk", "n", "ct"} {
		if m[f] == m2[f] {
			t.Errorf("field %s repeats across two seals of the same value", f)
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range maps.Keys(m) {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}

// edit returns s with its envelope JSON changed by f.
func edit(t *testing.T, s sensitive.Sealed[secretDoc], f func(m map[string]any)) sensitive.Sealed[secretDoc] {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err = json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out sensitive.Sealed[secretDoc]
	if err := out.Scan(b); err != nil {
		t.Fatal(err)
	}
	return out
}

func flipByte(field string, i int) func(m map[string]any) {
	return func(m map[string]any) {
		b, _ := base64.StdEncoding.DecodeString(m[field].(string))
		if i < 0 {
			i += len(b)
		}
		b[i] ^= 0x01
		m[field] = base64.StdEncoding.EncodeToString(b)
	}
}

func TestOpenFailures(t *testing.T) {
	ctx := context.Background()
	keyA, keyB := randomKey(t), randomKey(t)
	// a:1 and alias:7 share one key, so only the additional data tells them apart.
	kr := newKeyring(t, ref("a", 1), map[sensitive.KeyRef][]byte{
		ref("a", 1): keyA, ref("a", 2): keyB, ref("alias", 7): keyA,
	})
	sealed, err := sensitive.Seal(ctx, kr, doc)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		sealed  sensitive.Sealed[secretDoc]
		kr      *sensitive.Keyring
		wantIs  error
		wantMsg []string
	}{
		{
			name:    "wrong key behind the same reference",
			sealed:  sealed,
			kr:      newKeyring(t, ref("a", 1), map[sensitive.KeyRef][]byte{ref("a", 1): randomKey(t)}),
			wantIs:  sensitive.ErrDecrypt,
			wantMsg: []string{`"a:1"`, "wrong key or tampered envelope"},
		},
		{
			name:    "key not configured",
			sealed:  sealed,
			kr:      newKeyring(t, ref("b", 1), map[sensitive.KeyRef][]byte{ref("b", 1): randomKey(t)}),
			wantIs:  sensitive.ErrUnknownKey,
			wantMsg: []string{`"a:1"`, "configured: b:1", "SENSITIVE_KEYS", "a:1=<keeper URL>"},
		},
		{
			name:    "ciphertext tampered",
			sealed:  edit(t, sealed, flipByte("ct", 0)),
			wantIs:  sensitive.ErrDecrypt,
			wantMsg: []string{"decrypt value"},
		},
		{
			name:    "tag tampered",
			sealed:  edit(t, sealed, flipByte("ct", -1)),
			wantIs:  sensitive.ErrDecrypt,
			wantMsg: []string{"decrypt value"},
		},
		{
			name:   "nonce tampered",
			sealed: edit(t, sealed, flipByte("n", 3)),
			wantIs: sensitive.ErrDecrypt,
		},
		{
			name:    "wrapped data key tampered",
			sealed:  edit(t, sealed, flipByte("wdk", 30)),
			wantIs:  sensitive.ErrDecrypt,
			wantMsg: []string{"unwrap data key"},
		},
		{
			name:    "kid changed to another configured key",
			sealed:  edit(t, sealed, func(m map[string]any) { m["kver"] = 2 }),
			wantIs:  sensitive.ErrDecrypt,
			wantMsg: []string{`"a:2"`},
		},
		{
			name:    "kid and kver changed to an alias of the same keeper",
			sealed:  edit(t, sealed, func(m map[string]any) { m["kid"], m["kver"] = "alias", 7 }),
			wantIs:  sensitive.ErrDecrypt,
			wantMsg: []string{`"alias:7"`, "decrypt value"},
		},
		{
			name:    "kid changed to an unknown key",
			sealed:  edit(t, sealed, func(m map[string]any) { m["kid"] = "zzz" }),
			wantIs:  sensitive.ErrUnknownKey,
			wantMsg: []string{`"zzz:1"`},
		},
		{
			name:   "envelope version unknown",
			sealed: edit(t, sealed, func(m map[string]any) { m["v"] = 3 }),
			wantIs: sensitive.ErrMalformed,
		},
		{
			// A downgrade to the placeless version 1 must not open: the
			// version is part of the additional data.
			name:    "envelope version downgraded to 1",
			sealed:  edit(t, sealed, func(m map[string]any) { m["v"] = 1 }),
			wantIs:  sensitive.ErrDecrypt,
			wantMsg: []string{"decrypt value"},
		},
		{
			name:   "nonce truncated",
			sealed: edit(t, sealed, func(m map[string]any) { m["n"] = "AAAA" }),
			wantIs: sensitive.ErrMalformed,
		},
		{
			name:   "field missing",
			sealed: edit(t, sealed, func(m map[string]any) { delete(m, "wdk") }),
			wantIs: sensitive.ErrMalformed,
		},
		{
			name:   "NULL",
			sealed: sensitive.Sealed[secretDoc]{},
			wantIs: sensitive.ErrNull,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := tt.kr
			if k == nil {
				k = kr
			}
			got, err := sensitive.Open(ctx, k, tt.sealed)
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("Open error = %v, want %v", err, tt.wantIs)
			}
			if !reflect.DeepEqual(got, secretDoc{}) {
				t.Fatalf("failed Open returned a value")
			}
			for _, w := range tt.wantMsg {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			assertNoLeak(t, "error", err.Error())
			// Rekeying never "repairs" a broken value: it fails or leaves it as is.
			if tt.wantIs != sensitive.ErrNull {
				out, changed, err := sensitive.Rekey(ctx, k, tt.sealed)
				if err == nil && changed {
					t.Fatalf("Rekey of a broken value succeeded")
				}
				if !reflect.DeepEqual(out, tt.sealed) {
					t.Fatalf("Rekey changed the value it failed on")
				}
			}
		})
	}

	// The untampered envelope still opens.
	if got, err := sensitive.Open(ctx, kr, sealed); err != nil || !reflect.DeepEqual(got, doc) {
		t.Fatalf("Open(original) = %v", err)
	}
}

func TestErrorTypes(t *testing.T) {
	ctx := context.Background()
	kr := newKeyring(t, ref("a", 1), map[sensitive.KeyRef][]byte{ref("a", 1): randomKey(t)})
	sealed, _ := sensitive.Seal(ctx, kr, doc)

	other := newKeyring(t, ref("b", 2), map[sensitive.KeyRef][]byte{ref("b", 2): randomKey(t), ref("c", 1): randomKey(t)})
	_, err := sensitive.Open(ctx, other, sealed)
	var uk *sensitive.UnknownKeyError
	if !errors.As(err, &uk) || uk.Key != ref("a", 1) || !reflect.DeepEqual(uk.Configured, []sensitive.KeyRef{ref("b", 2), ref("c", 1)}) {
		t.Fatalf("UnknownKeyError = %#v (%v)", uk, err)
	}

	wrong := newKeyring(t, ref("a", 1), map[sensitive.KeyRef][]byte{ref("a", 1): randomKey(t)})
	_, err = sensitive.Open(ctx, wrong, sealed)
	var de *sensitive.DecryptError
	if !errors.As(err, &de) || de.Key != ref("a", 1) || de.Op != "unwrap data key" || errors.Is(err, sensitive.ErrKeeperUnavailable) {
		t.Fatalf("DecryptError = %#v (%v)", de, err)
	}
}

// failingKeeper fails every call with err.
type failingKeeper struct{ err error }

func (f failingKeeper) Encrypt(context.Context, []byte) ([]byte, error) { return nil, f.err }
func (f failingKeeper) Decrypt(context.Context, []byte) ([]byte, error) { return nil, f.err }

func TestKeeperUnavailableIsNotDecryptError(t *testing.T) {
	ctx := context.Background()
	key := randomKey(t)
	kr := newKeyring(t, ref("a", 1), map[sensitive.KeyRef][]byte{ref("a", 1): key})
	sealed, _ := sensitive.Seal(ctx, kr, doc)

	for _, cause := range []error{
		sensitive.ErrKeeperUnavailable,
		context.DeadlineExceeded,
		context.Canceled,
	} {
		t.Run(cause.Error(), func(t *testing.T) {
			down, err := sensitive.NewKeyring(ref("a", 1), map[sensitive.KeyRef]sensitive.Keeper{ref("a", 1): failingKeeper{err: cause}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = sensitive.Open(ctx, down, sealed)
			if errors.Is(err, sensitive.ErrDecrypt) || !errors.Is(err, cause) || !errors.Is(err, sensitive.ErrKeeperUnavailable) {
				t.Fatalf("Open error = %v; want %v and not ErrDecrypt", err, cause)
			}
			if _, err := sensitive.Seal(ctx, down, doc); !errors.Is(err, cause) {
				t.Fatalf("Seal error = %v, want %v", err, cause)
			}
		})
	}
}

func TestDecodeErrorDoesNotLeak(t *testing.T) {
	ctx := context.Background()
	kr := newKeyring(t, ref("a", 1), map[sensitive.KeyRef][]byte{ref("a", 1): randomKey(t)})
	sealed, err := sensitive.Seal(ctx, kr, json.RawMessage(`{"number":987654321,"sub":"subject-PLAINTEXT-7f3a"}`))
	if err != nil {
		t.Fatal(err)
	}
	var asDoc sensitive.Sealed[struct {
		Number string `json:"number"`
	}]
	b, _ := json.Marshal(sealed)
	if err := asDoc.Scan(b); err != nil {
		t.Fatal(err)
	}
	_, err = sensitive.Open(ctx, kr, asDoc)
	if err == nil || !strings.Contains(err.Error(), `field "number"`) {
		t.Fatalf("Open into a mismatched type: %v", err)
	}
	assertNoLeak(t, "decode error", err.Error())
}

func TestSealRandomFailure(t *testing.T) {
	kr := newKeyring(t, ref("a", 1), map[sensitive.KeyRef][]byte{ref("a", 1): randomKey(t)},
		sensitive.WithRandom(io.LimitReader(strings.NewReader(strings.Repeat("x", 100)), 10)))
	if _, err := sensitive.Seal(context.Background(), kr, doc); err == nil || !strings.Contains(err.Error(), "random") {
		t.Fatalf("Seal with a short random source: %v", err)
	}
}

func TestSealUnencodable(t *testing.T) {
	kr := newKeyring(t, ref("a", 1), map[sensitive.KeyRef][]byte{ref("a", 1): randomKey(t)})
	if _, err := sensitive.Seal(context.Background(), kr, make(chan int)); err == nil {
		t.Fatal("Seal(chan) succeeded")
	}
	if _, err := sensitive.Seal(context.Background(), nil, doc); err == nil {
		t.Fatal("Seal with a nil keyring succeeded")
	}
}

func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	kr := newKeyring(t, ref("a", 2), map[sensitive.KeyRef][]byte{ref("a", 1): randomKey(t), ref("a", 2): randomKey(t)})
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			for i := range 50 {
				s, err := sensitive.Seal(ctx, kr, secretDoc{Number: g*1000 + i})
				if err != nil {
					errs <- err
					return
				}
				got, err := sensitive.Open(ctx, kr, s)
				if err != nil || got.Number != g*1000+i {
					errs <- errors.Join(err, errors.New("wrong value"))
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
