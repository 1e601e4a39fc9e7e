package sensitive_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/sensitive/sensitivetest"
)

var (
	rowA = [16]byte{0x01, 0x8f, 0, 0, 0, 0, 0x70, 0, 0x80, 0, 0, 0, 0, 0, 0, 0xa}
	rowB = [16]byte{0x01, 0x8f, 0, 0, 0, 0, 0x70, 0, 0x80, 0, 0, 0, 0, 0, 0, 0xb}
	here = sensitive.At("oidc_connectors", "state", rowA)
)

func TestPlaceBinding(t *testing.T) {
	ctx := context.Background()
	kr := newKeyring(t, ref("a", 1), map[sensitive.KeyRef][]byte{ref("a", 1): randomKey(t)})
	sealed, err := sensitive.SealAt(ctx, kr, here, doc)
	if err != nil {
		t.Fatal(err)
	}
	if sealed.Place() != here || sealed.Version() != 2 {
		t.Fatalf("sealed at %v version %d", sealed.Place(), sealed.Version())
	}
	if got, err := sensitive.OpenAt(ctx, kr, here, sealed); err != nil || !reflect.DeepEqual(got, doc) {
		t.Fatalf("OpenAt(own place) = %v", err)
	}

	// The same envelope read elsewhere: the recorded place says where it
	// belongs, and the error says so without decrypting anything.
	elsewhere := []struct {
		name string
		at   sensitive.Place
	}{
		{"another row of the same column", sensitive.At("oidc_connectors", "state", rowB)},
		{"another column of the same row", sensitive.At("oidc_connectors", "config", rowA)},
		{"another table, same row ID", sensitive.At("users", "state", rowA)},
	}
	for _, tt := range elsewhere {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sensitive.OpenAt(ctx, kr, tt.at, sealed)
			var me *sensitive.MisplacedError
			if !errors.Is(err, sensitive.ErrMisplaced) || !errors.As(err, &me) || me.Sealed != here || me.Read != tt.at {
				t.Fatalf("OpenAt(%v) = %v, want a MisplacedError from %v", tt.at, err, here)
			}
			if !reflect.DeepEqual(got, secretDoc{}) {
				t.Fatal("a misplaced Open returned a value")
			}
			for _, w := range []string{here.String(), tt.at.String(), "opens only where it was sealed"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			assertNoLeak(t, "error", err.Error())
			if out, changed, err := sensitive.RekeyAt(ctx, kr, tt.at, sealed); !errors.Is(err, sensitive.ErrMisplaced) || changed || !reflect.DeepEqual(out, sealed) {
				t.Fatalf("RekeyAt(%v) = %v, %v: a copy must not be re-bound to where it was copied", tt.at, changed, err)
			}
		})
	}

	// An attacker who copies the envelope and also edits the recorded place
	// to match gets a decryption failure: the place is additional data.
	copyTo := func(at sensitive.Place) func(map[string]any) {
		return func(m map[string]any) {
			m["tbl"], m["col"] = at.Table, at.Column
			m["row"] = strings.TrimSuffix(strings.TrimPrefix(at.String(), at.Table+"."+at.Column+"["), "]")
		}
	}
	tampered := []struct {
		name   string
		at     sensitive.Place
		f      func(map[string]any)
		wantIs error
	}{
		{"copied to another row, row rewritten", sensitive.At("oidc_connectors", "state", rowB), copyTo(sensitive.At("oidc_connectors", "state", rowB)), sensitive.ErrDecrypt},
		{"copied to another column, col rewritten", sensitive.At("oidc_connectors", "config", rowA), copyTo(sensitive.At("oidc_connectors", "config", rowA)), sensitive.ErrDecrypt},
		{"copied to another table, tbl rewritten", sensitive.At("users", "state", rowA), copyTo(sensitive.At("users", "state", rowA)), sensitive.ErrDecrypt},
		{"place removed (claims unplaced), read here", here, func(m map[string]any) { delete(m, "tbl"); delete(m, "col"); delete(m, "row") }, sensitive.ErrMisplaced},
		{"place removed, opened as unplaced", sensitive.Place{}, func(m map[string]any) { delete(m, "tbl"); delete(m, "col"); delete(m, "row") }, sensitive.ErrDecrypt},
		{"downgraded to version 1 without place", here, func(m map[string]any) { m["v"] = 1; delete(m, "tbl"); delete(m, "col"); delete(m, "row") }, sensitive.ErrDecrypt},
		{"version 1 claiming a place", here, func(m map[string]any) { m["v"] = 1 }, sensitive.ErrMalformed},
		{"row not a UUID", here, func(m map[string]any) { m["row"] = "row-1" }, sensitive.ErrMalformed},
		{"place incomplete", here, func(m map[string]any) { delete(m, "col") }, sensitive.ErrMalformed},
		{"row is the zero UUID", here, func(m map[string]any) { m["row"] = "00000000-0000-0000-0000-000000000000" }, sensitive.ErrMalformed},
	}
	for _, tt := range tampered {
		t.Run(tt.name, func(t *testing.T) {
			s := edit(t, sealed, tt.f)
			var err error
			if tt.at.IsZero() {
				_, err = sensitive.Open(ctx, kr, s)
			} else {
				_, err = sensitive.OpenAt(ctx, kr, tt.at, s)
			}
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("open = %v, want %v", err, tt.wantIs)
			}
		})
	}

	// Unplaced and placed envelopes do not stand in for each other.
	if _, err := sensitive.Open(ctx, kr, sealed); !errors.Is(err, sensitive.ErrMisplaced) {
		t.Errorf("Open(placed envelope) = %v, want ErrMisplaced", err)
	}
	loose, err := sensitive.Seal(ctx, kr, doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sensitive.OpenAt(ctx, kr, here, loose); !errors.Is(err, sensitive.ErrMisplaced) {
		t.Errorf("OpenAt(unplaced envelope) = %v, want ErrMisplaced", err)
	}
}

func TestInvalidPlace(t *testing.T) {
	ctx := context.Background()
	kr := newKeyring(t, ref("a", 1), map[sensitive.KeyRef][]byte{ref("a", 1): randomKey(t)})
	good, err := sensitive.SealAt(ctx, kr, here, doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		at   sensitive.Place
		want string
	}{
		{"zero", sensitive.Place{}, "empty table"},
		{"zero row", sensitive.At("users", "idp_user_info", [16]byte{}), "zero row ID; set the row's ID before sealing"},
		{"no column", sensitive.At("users", "", rowA), "empty column"},
		{"NUL in table", sensitive.At("us\x00ers", "c", rowA), "NUL"},
		{"huge column", sensitive.At("users", strings.Repeat("c", 1<<16), rowA), "longer than"},
		{"bad UTF-8", sensitive.At("users\xff", "c", rowA), "UTF-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := sensitive.SealAt(ctx, kr, tt.at, doc); !errors.Is(err, sensitive.ErrInvalidPlace) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("SealAt = %v, want ErrInvalidPlace mentioning %q", err, tt.want)
			}
			if _, err := sensitive.OpenAt(ctx, kr, tt.at, good); !errors.Is(err, sensitive.ErrInvalidPlace) {
				t.Errorf("OpenAt = %v, want ErrInvalidPlace", err)
			}
			if out, _, err := sensitive.RekeyAt(ctx, kr, tt.at, good); !errors.Is(err, sensitive.ErrInvalidPlace) || !reflect.DeepEqual(out, good) {
				t.Errorf("RekeyAt = %v, want ErrInvalidPlace and the value unchanged", err)
			}
		})
	}
}

// legacyV1 was written by the release before place binding (commit 3e19e23)
// with key "legacy:1" = bytes 1..32 and a fixed random source: the stored
// form of {"sub":"v1-subject"}. It must keep opening.
const legacyV1 = `{"v":1,"kid":"legacy","kver":1,"wdk":"P3KF1NFGs65XDUzDbRgaKN7k4Ma3pOvIvxtCjrElFem8cj5HgJU4ufzmeuu1istiFLIv6fkJ3fN4OrHVwlPST3udhEEQsirX","n":"BwcHBwcHBwcHBwcH","ct":"tbk5SmTEhUc62KxJSrvMES/RpW0fDst048uY+qQNYox0dB18"}`

func TestVersion1StillOpensAndRekeyUpgrades(t *testing.T) {
	ctx := context.Background()
	legacyKey := make([]byte, 32)
	for i := range legacyKey {
		legacyKey[i] = byte(i + 1)
	}
	kr := newKeyring(t, ref("legacy", 1), map[sensitive.KeyRef][]byte{ref("legacy", 1): legacyKey})
	want := map[string]string{"sub": "v1-subject"}

	var golden sensitive.Sealed[map[string]string]
	if err := golden.Scan(legacyV1); err != nil || golden.Err() != nil || golden.Version() != 1 {
		t.Fatalf("scan legacy envelope: %v %v version %d", err, golden.Err(), golden.Version())
	}
	// sensitivetest.SealV1 writes the same format (the rekey tests rely on it).
	fresh, err := sensitivetest.SealV1(ctx, localKeeper(t, legacyKey), ref("legacy", 1), want)
	if err != nil {
		t.Fatal(err)
	}
	var helper sensitive.Sealed[map[string]string]
	if err := helper.Scan(fresh); err != nil || helper.Version() != 1 {
		t.Fatalf("scan SealV1 output: %v", err)
	}

	for name, v1 := range map[string]sensitive.Sealed[map[string]string]{"golden": golden, "SealV1": helper} {
		t.Run(name, func(t *testing.T) {
			// A version 1 envelope predates places: it opens anywhere...
			for _, at := range []sensitive.Place{here, sensitive.At("users", "idp_user_info", rowB)} {
				if got, err := sensitive.OpenAt(ctx, kr, at, v1); err != nil || !reflect.DeepEqual(got, want) {
					t.Fatalf("OpenAt(%v, v1) = %v, %v", at, got, err)
				}
			}
			if got, err := sensitive.Open(ctx, kr, v1); err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("Open(v1) = %v, %v", got, err)
			}
			// ...so it needs rekeying even under the current key,
			if !sensitive.NeedsRekey(kr, v1) {
				t.Fatal("NeedsRekey(v1 under the current key) = false")
			}
			// and RekeyAt binds it to the place it is read from.
			up, changed, err := sensitive.RekeyAt(ctx, kr, here, v1)
			if err != nil || !changed || up.Version() != 2 || up.Place() != here || up.Key() != ref("legacy", 1) {
				t.Fatalf("RekeyAt(v1) = version %d at %v under %v, changed %v, %v", up.Version(), up.Place(), up.Key(), changed, err)
			}
			if sensitive.NeedsRekey(kr, up) {
				t.Fatal("upgraded envelope still needs rekeying")
			}
			if got, err := sensitive.OpenAt(ctx, kr, here, up); err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("OpenAt(upgraded) = %v, %v", got, err)
			}
			if _, err := sensitive.OpenAt(ctx, kr, sensitive.At("oidc_connectors", "state", rowB), up); !errors.Is(err, sensitive.ErrMisplaced) {
				t.Fatalf("upgraded envelope opened in another row: %v", err)
			}
		})
	}

	// A tampered version 1 envelope fails as before.
	var bad sensitive.Sealed[map[string]string]
	_ = bad.Scan(strings.Replace(legacyV1, `"kver":1`, `"kver":2`, 1))
	kr2 := newKeyring(t, ref("legacy", 1), map[sensitive.KeyRef][]byte{ref("legacy", 1): legacyKey, ref("legacy", 2): legacyKey})
	if _, err := sensitive.OpenAt(ctx, kr2, here, bad); !errors.Is(err, sensitive.ErrDecrypt) {
		t.Fatalf("OpenAt(v1 with kver edited) = %v, want ErrDecrypt", err)
	}
}
