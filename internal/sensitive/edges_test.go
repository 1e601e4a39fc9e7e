package sensitive_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/zap/zapcore"

	"github.com/central/central/internal/sensitive"
)

// These tests guard the edges the mutation tester (internal/tools/mutate)
// found unguarded; each names the deliberate bug it catches.

// TestEdgeEnvelopeBoundToItsKeyReference: an envelope whose kid or kver was
// edited to another reference fails to open, even when that reference
// resolves to the same key material (as the additionalData comment
// promises). Bugs caught: the key id, or the separator between id and
// version, left out of the additional data ("a"+"11" and "a1"+"1" would
// then read the same).
func TestEdgeEnvelopeBoundToItsKeyReference(t *testing.T) {
	ctx := context.Background()
	key := randomKey(t)
	tests := []struct {
		name     string
		from, to sensitive.KeyRef
	}{
		{"other id", ref("a", 1), ref("b", 1)},
		{"id and version shifted", ref("a", 11), ref("a1", 1)},
		{"other version", ref("a", 1), ref("a", 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr := newKeyring(t, tt.from, map[sensitive.KeyRef][]byte{tt.from: key, tt.to: key})
			s, err := sensitive.Seal(ctx, kr, doc)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			var env map[string]any
			if err := json.Unmarshal(b, &env); err != nil {
				t.Fatal(err)
			}
			env["kid"], env["kver"] = tt.to.ID, tt.to.Version
			edited, err := json.Marshal(env)
			if err != nil {
				t.Fatal(err)
			}
			var e sensitive.Sealed[secretDoc]
			if err := e.Scan(edited); err != nil {
				t.Fatal(err)
			}
			if _, err := sensitive.Open(ctx, kr, e); !errors.Is(err, sensitive.ErrDecrypt) {
				t.Fatalf("envelope of %v relabelled %v opened: %v, want ErrDecrypt", tt.from, tt.to, err)
			}
			if _, err := sensitive.Open(ctx, kr, s); err != nil {
				t.Fatalf("the unedited envelope: %v", err)
			}
		})
	}
}

// TestEdgeKeyRefBounds: the ends of every accepted range are accepted and
// the values just past them refused. Bugs caught: any bound off by one.
func TestEdgeKeyRefBounds(t *testing.T) {
	long := strings.Repeat("k", sensitive.MaxKeyIDLen)
	for _, r := range []sensitive.KeyRef{ref(long, 1), ref("AZaz09._-", 1), ref("Z", 1), ref("9", 1), ref("A", 1<<31-1)} {
		if err := r.Validate(); err != nil {
			t.Errorf("%+v: %v, want valid", r, err)
		}
	}
	for _, r := range []sensitive.KeyRef{ref(long+"k", 1), ref("@", 1), ref("[", 1), ref(":", 1), ref("/", 1), ref("a", 1<<31), ref("a", 0)} {
		if err := r.Validate(); !errors.Is(err, sensitive.ErrInvalidKeyring) {
			t.Errorf("%+v: %v, want ErrInvalidKeyring", r, err)
		}
	}
}

// TestEdgeScanNullResets: scanning NULL (or JSON null) into a Sealed that
// held a value empties it, as database/sql reuses destinations. Bug caught:
// the reset dropped (the previous row's envelope kept).
func TestEdgeScanNullResets(t *testing.T) {
	kr := newKeyring(t, ref("a", 1), map[sensitive.KeyRef][]byte{ref("a", 1): randomKey(t)})
	s, err := sensitive.Seal(context.Background(), kr, doc)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, null := range []any{nil, "null", []byte(" null ")} {
		var d sensitive.Sealed[secretDoc]
		if err := d.Scan(b); err != nil || d.IsZero() {
			t.Fatalf("scan of an envelope: zero=%v, %v", d.IsZero(), err)
		}
		if err := d.Scan(null); err != nil || !d.IsZero() {
			t.Errorf("scan of %#v after a value: zero=%v, %v; want zero", null, d.IsZero(), err)
		}
	}
}

// TestEdgeMalformedEnvelopeDoesNotMarshal: a malformed stored envelope is
// not re-written as if it were fine. Bug caught: MarshalJSON's error
// swallowed (a bad value copied on, unnoticed).
func TestEdgeMalformedEnvelopeDoesNotMarshal(t *testing.T) {
	var d sensitive.Sealed[secretDoc]
	if err := d.Scan(`{"v": 1, "kid": "a", "kver": 1, "ct": "eA=="}`); err != nil {
		t.Fatal(err)
	}
	if b, err := d.MarshalJSON(); !errors.Is(err, sensitive.ErrMalformed) {
		t.Fatalf("a malformed envelope marshalled to %s, %v; want ErrMalformed", b, err)
	}
}

// TestEdgeZapShowsTheKeyReference: a Sealed logged with zap shows its key
// reference under "sealed". Bug caught: MarshalLogObject writing nothing.
func TestEdgeZapShowsTheKeyReference(t *testing.T) {
	kr := newKeyring(t, ref("a", 3), map[sensitive.KeyRef][]byte{ref("a", 3): randomKey(t)})
	s, err := sensitive.Seal(context.Background(), kr, doc)
	if err != nil {
		t.Fatal(err)
	}
	enc := zapcore.NewMapObjectEncoder()
	if err := s.MarshalLogObject(enc); err != nil {
		t.Fatal(err)
	}
	if got := enc.Fields["sealed"]; got != s.String() || !strings.Contains(s.String(), "a") {
		t.Errorf("zap fields %v, want sealed=%q", enc.Fields, s.String())
	}
}

// TestEdgeDecryptErrorWithoutCause: a DecryptError without a cause says
// "wrong key or tampered envelope" and nothing more. Bug caught: the nil
// check inverted (a trailing ": <nil>").
func TestEdgeDecryptErrorWithoutCause(t *testing.T) {
	msg := (&sensitive.DecryptError{Key: ref("a", 1), Op: "open"}).Error()
	if !strings.HasSuffix(msg, "wrong key or tampered envelope") {
		t.Errorf("Error() = %q", msg)
	}
}

// badKeeper fails as told.
type badKeeper struct{ wrap, unwrap, close error }

func (k badKeeper) Encrypt(_ context.Context, p []byte) ([]byte, error) { return p, k.wrap }
func (k badKeeper) Decrypt(_ context.Context, c []byte) ([]byte, error) { return c, k.unwrap }
func (k badKeeper) Close() error                                        { return k.close }

// TestEdgeKeyringReportsEveryFailingKeeper: Check names each key whose
// keeper cannot wrap or unwrap, Close each keeper that fails to close, and
// Keys lists keys sorted. Bugs caught: a failure left out of the joined
// error, the joined error swallowed, the sort dropped.
func TestEdgeKeyringReportsEveryFailingKeeper(t *testing.T) {
	boom := errors.New("boom")
	kr, err := sensitive.NewKeyring(ref("c", 1), map[sensitive.KeyRef]sensitive.Keeper{
		ref("c", 1): badKeeper{},
		ref("b", 2): badKeeper{wrap: boom},
		ref("b", 1): badKeeper{unwrap: boom, close: boom},
		ref("a", 1): badKeeper{close: boom},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmtRefs(kr.Keys()); got != "a:1 b:1 b:2 c:1" {
		t.Errorf("Keys() = %s, want sorted by id then version", got)
	}
	err = kr.Check(context.Background())
	for _, want := range []string{`check key "b:2": wrap probe: boom`, `check key "b:1": unwrap probe: boom`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check() = %v, want it to contain %q", err, want)
		}
	}
	err = kr.Close()
	for _, want := range []string{`close keeper "a:1": boom`, `close keeper "b:1": boom`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Close() = %v, want it to contain %q", err, want)
		}
	}
}

func fmtRefs(refs []sensitive.KeyRef) string {
	var s []string
	for _, r := range refs {
		s = append(s, r.ID+":"+strconv.Itoa(r.Version))
	}
	return strings.Join(s, " ")
}

// TestEdgeNilKeyringAndMalformedEnvelopes: Open and Rekey refuse a nil
// keyring, and envelopes with a bad key reference, a ciphertext shorter
// than the tag, or a JSON null over a value are handled as documented.
// Bugs caught: those errors swallowed (a zero value returned as if
// decrypted), the tag-length bound off by one, UnmarshalJSON(null) keeping
// the old value.
func TestEdgeNilKeyringAndMalformedEnvelopes(t *testing.T) {
	ctx := context.Background()
	kr := newKeyring(t, ref("a", 1), map[sensitive.KeyRef][]byte{ref("a", 1): randomKey(t)})
	s, err := sensitive.Seal(ctx, kr, doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sensitive.Open(ctx, nil, s); err == nil || !strings.Contains(err.Error(), "nil keyring") {
		t.Errorf("Open with a nil keyring: %v", err)
	}
	if _, _, err := sensitive.Rekey(ctx, nil, s); err == nil || !strings.Contains(err.Error(), "nil keyring") {
		t.Errorf("Rekey with a nil keyring: %v", err)
	}

	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]any
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	edit := func(k string, v any) []byte {
		e := map[string]any{}
		for kk, vv := range env {
			e[kk] = vv
		}
		e[k] = v
		out, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	tag := make([]byte, 16) // exactly a GCM tag: valid in shape, fails to open
	for _, tc := range []struct {
		name      string
		b         []byte
		wantParse bool
	}{
		{"bad kid", edit("kid", "not/valid"), false},
		{"ciphertext shorter than the tag", edit("ct", tag[:15]), false},
		{"ciphertext exactly the tag", edit("ct", tag), true},
	} {
		var d sensitive.Sealed[secretDoc]
		err := json.Unmarshal(tc.b, &d)
		if tc.wantParse != (err == nil) {
			t.Errorf("%s: UnmarshalJSON = %v, want parse ok %v", tc.name, err, tc.wantParse)
		}
		if !tc.wantParse && !errors.Is(err, sensitive.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", tc.name, err)
		}
	}
	var d sensitive.Sealed[secretDoc]
	if err := json.Unmarshal(b, &d); err != nil || d.IsZero() {
		t.Fatalf("UnmarshalJSON of an envelope: %v", err)
	}
	if err := json.Unmarshal([]byte("null"), &d); err != nil || !d.IsZero() {
		t.Errorf("UnmarshalJSON(null) over a value: zero=%v, %v", d.IsZero(), err)
	}
}

type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, errUnreadable }

var errUnreadable = errors.New("entropy unavailable")

// shortKeeper unwraps every data key to 31 bytes.
type shortKeeper struct{ badKeeper }

func (shortKeeper) Decrypt(_ context.Context, c []byte) ([]byte, error) { return c[:31], nil }

// TestEdgeKeeperAndEntropyFailures: a random source that fails stops Seal
// and Check, a keeper that cannot wrap stops Rekey, and a keeper that
// unwraps to a wrong-sized data key is a DecryptError. Bugs caught: any of
// those errors swallowed (a value sealed with a zero key, or returned as
// decrypted).
func TestEdgeKeeperAndEntropyFailures(t *testing.T) {
	ctx := context.Background()
	noRand, err := sensitive.NewKeyring(ref("a", 1), map[sensitive.KeyRef]sensitive.Keeper{ref("a", 1): badKeeper{}}, sensitive.WithRandom(failReader{}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sensitive.Seal(ctx, noRand, doc); !errors.Is(err, errUnreadable) {
		t.Errorf("Seal without entropy: %v", err)
	}
	if err := noRand.Check(ctx); !errors.Is(err, errUnreadable) {
		t.Errorf("Check without entropy: %v", err)
	}

	oldKeeper := localKeeper(t, randomKey(t))
	old, err := sensitive.NewKeyring(ref("old", 1), map[sensitive.KeyRef]sensitive.Keeper{ref("old", 1): oldKeeper})
	if err != nil {
		t.Fatal(err)
	}
	s, err := sensitive.Seal(ctx, old, doc)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	// The current key "new" cannot wrap; the old one still opens s.
	kr, err := sensitive.NewKeyring(ref("new", 1), map[sensitive.KeyRef]sensitive.Keeper{
		ref("new", 1): badKeeper{wrap: boom},
		ref("old", 1): oldKeeper,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, did, err := sensitive.Rekey(ctx, kr, s); !errors.Is(err, boom) || did || got.String() != s.String() {
		t.Errorf("Rekey whose current keeper cannot wrap: %v, %v, %v; want the error and s unchanged", got, did, err)
	}

	short, err := sensitive.NewKeyring(ref("a", 1), map[sensitive.KeyRef]sensitive.Keeper{ref("a", 1): shortKeeper{}})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := sensitive.Seal(ctx, short, doc)
	if err != nil {
		t.Fatal(err)
	}
	var de *sensitive.DecryptError
	if _, err := sensitive.Open(ctx, short, sealed); !errors.As(err, &de) || !strings.Contains(err.Error(), "data key is 31 bytes") {
		t.Errorf("Open with a keeper returning a 31-byte data key: %v", err)
	}
}
