package richid_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/central/central/internal/richid"
	"github.com/oklog/ulid/v2"
)

func FuzzParse(f *testing.F) {
	for _, s := range samples {
		f.Add(s.rich)
		f.Add(strings.ToLower(s.rich))
		f.Add(s.uuid)
	}
	for _, s := range []string{"", "test", "test-", "test-80000000000000000000000000", "test-0LH2XVNZ7C9NXWK3TMCRD9QWMN",
		"user-01H2XVNZ7C9NXWK3TMCRD9QWMN", "-", "test--01H2XVNZ7C9NXWK3TMCRD9QWMN", "test-01H2XVNZ7C9NXWK3TMCRD9QWé"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := richid.Parse[testKind](s)

		var viaText richid.ID[testKind]
		textErr := viaText.UnmarshalText([]byte(s))
		if (err == nil) != (textErr == nil) || viaText != id {
			t.Fatalf("Parse(%q) = %v, %v but UnmarshalText gives %v, %v", s, id, err, viaText, textErr)
		}

		// oklog/ulid's strict parser is the reference for the base32 part.
		b32, hasPrefix := strings.CutPrefix(s, "test-")
		ref, refErr := ulid.ParseStrict(b32)
		if want := hasPrefix && refErr == nil; (err == nil) != want {
			t.Fatalf("Parse(%q) error = %v, but oklog says %v (prefix ok %v)", s, err, refErr, hasPrefix)
		}

		if err != nil {
			var pe *richid.ParseError
			if !errors.Is(err, richid.ErrInvalid) || !errors.As(err, &pe) || pe.Input != s || pe.Reason == "" {
				t.Fatalf("Parse(%q) error %#v does not explain itself", s, err)
			}
			// The input is quoted cut to 64 bytes, and so is a wrong prefix; quoting turns each invalid
			// UTF-8 byte into 4 characters.
			if len(err.Error()) > 2*(4*64+8)+200 {
				t.Fatalf("error for a %d-byte input is %d bytes long", len(s), len(err.Error()))
			}
			return
		}
		if id.ULID() != ref {
			t.Fatalf("Parse(%q) = %v, oklog parses %v", s, id.ULID(), ref)
		}
		if got := id.String(); got != "test-"+strings.ToUpper(b32) {
			t.Fatalf("Parse(%q).String() = %q, want the input with the ULID in uppercase", s, got)
		}
		if again := richid.MustParse[testKind](id.String()); again != id {
			t.Fatalf("Parse(String()) = %v, want %v", again, id)
		}
	})
}

func FuzzRoundTrip(f *testing.F) {
	f.Add(make([]byte, 16))
	f.Add([]byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Add([]byte("\x01\x88\xbb\xba\xfc\xec\x4d\x7b\xc9\x8f\x54\x66\x1a\x9b\xf2\x95"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) != 16 {
			if _, err := richid.FromBytes[testKind](b); !errors.Is(err, richid.ErrInvalid) {
				t.Fatalf("FromBytes(%d bytes) error = %v", len(b), err)
			}
			return
		}
		// Every 128-bit value is a ULID: 26 base32 characters hold 130 bits and the first is at most '7'.
		id, err := richid.FromBytes[testKind](b)
		if err != nil {
			t.Fatal(err)
		}
		s := id.String()
		if s != "test-"+ulid.ULID(b).String() || s[5] > '7' {
			t.Fatalf("String() = %q, oklog formats %q", s, ulid.ULID(b).String())
		}
		if back, err := richid.Parse[testKind](s); err != nil || back != id {
			t.Fatalf("Parse(String()) = %v, %v", back, err)
		}
		if back, err := richid.Parse[testKind](strings.ToLower(s)); err != nil || back != id {
			t.Fatalf("Parse(lower(String())) = %v, %v", back, err)
		}
		if back, err := richid.ParseUUID[testKind](id.UUIDString()); err != nil || back != id {
			t.Fatalf("ParseUUID(UUIDString()) = %v, %v", back, err)
		}
		var scanned testID
		if err := scanned.Scan(id.UUIDString()); err != nil || scanned.ID != id {
			t.Fatalf("Scan(UUIDString()) = %v, %v", scanned, err)
		}
		if id.UUID() != [16]byte(b) || richid.FromUUID[testKind](id.UUID()) != id {
			t.Fatal("UUID bytes do not round-trip")
		}
	})
}
