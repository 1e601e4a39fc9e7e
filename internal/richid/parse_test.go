package richid_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/central/central/internal/richid"
)

func TestParse(t *testing.T) {
	const canon = "test-01H2XVNZ7C9NXWK3TMCRD9QWMN"
	canonUUID := "0188bbba-fcec-4d7b-c98f-54661a9bf295"
	tests := []struct {
		name   string
		in     string
		uuid   string // for accepted input
		string string // formatted form of accepted input
		reason string // substring of the error reason for rejected input
	}{
		{name: "canonical", in: canon, uuid: canonUUID, string: canon},
		{name: "lowercase", in: "test-01h2xvnz7c9nxwk3tmcrd9qwmn", uuid: canonUUID, string: canon},
		{name: "mixed case", in: "test-01h2XVNZ7c9nxWK3tmcrd9QWMN", uuid: canonUUID, string: canon},
		{name: "zero", in: "test-00000000000000000000000000", uuid: "00000000-0000-0000-0000-000000000000",
			string: "test-00000000000000000000000000"},
		{name: "max", in: "test-7ZZZZZZZZZZZZZZZZZZZZZZZZZ", uuid: "ffffffff-ffff-ffff-ffff-ffffffffffff",
			string: "test-7ZZZZZZZZZZZZZZZZZZZZZZZZZ"},
		{name: "max lowercase", in: "test-7zzzzzzzzzzzzzzzzzzzzzzzzz", uuid: "ffffffff-ffff-ffff-ffff-ffffffffffff",
			string: "test-7ZZZZZZZZZZZZZZZZZZZZZZZZZ"},

		{name: "empty", in: "", reason: `empty; want "test-" followed by 26`},
		{name: "prefix only", in: "test", reason: `no "-" between prefix and ULID`},
		{name: "prefix and dash only", in: "test-", reason: "ULID part is 0 bytes long, want 26"},
		{name: "missing dash", in: "test01H2XVNZ7C9NXWK3TMCRD9QWMN", reason: `no "-" between prefix and ULID`},
		{name: "bare ULID", in: "01H2XVNZ7C9NXWK3TMCRD9QWMN", reason: `no "-" between prefix and ULID`},
		{name: "wrong prefix", in: "user-01H2XVNZ7C9NXWK3TMCRD9QWMN", reason: `prefix is "user", want "test"`},
		{name: "prefix case differs", in: "TEST-01H2XVNZ7C9NXWK3TMCRD9QWMN", reason: `prefix is "TEST", want "test"`},
		{name: "empty prefix", in: "-01H2XVNZ7C9NXWK3TMCRD9QWMN", reason: `prefix is "", want "test"`},
		{name: "longer prefix", in: "test-test-01H2XVNZ7C9NXWK3TMCRD9QWMN", reason: `prefix is "test-test", want "test"`},
		{name: "UUID", in: canonUUID, reason: "this is a UUID, not a rich ID"},
		{name: "length 25", in: canon[:len(canon)-1], reason: "ULID part is 25 bytes long, want 26"},
		{name: "length 27", in: canon + "0", reason: "ULID part is 27 bytes long, want 26"},
		{name: "overflow 8", in: "test-80000000000000000000000000", reason: "first ULID character '8' is above '7'"},
		{name: "overflow Z", in: "test-ZZZZZZZZZZZZZZZZZZZZZZZZZZ", reason: "first ULID character 'Z' is above '7'"},
		{name: "overflow lowercase", in: "test-z0000000000000000000000000", reason: "first ULID character 'z' is above '7'"},
		{name: "alias I", in: "test-01H2XVNZ7C9NXWK3TMCRD9QWMI", reason: "character 'I' at offset 30 is not Crockford base32"},
		{name: "alias i", in: "test-01H2XVNZ7C9NXWK3TMCRD9QWMi", reason: "character 'i' at offset 30"},
		{name: "alias L", in: "test-0LH2XVNZ7C9NXWK3TMCRD9QWMN", reason: "character 'L' at offset 6"},
		{name: "alias O", in: "test-O1H2XVNZ7C9NXWK3TMCRD9QWMN", reason: "character 'O' at offset 5"},
		{name: "U", in: "test-01H2XVNZ7C9NXWK3TMCRD9QWMU", reason: "character 'U' at offset 30"},
		{name: "hyphen inside", in: "test-01H2XVNZ7C9N-WK3TMCRD9QWMN", reason: `prefix is "test-01H2XVNZ7C9N", want "test"`},
		{name: "space", in: "test-01H2XVNZ7C9NXWK3TMCRD9QWM ", reason: "character ' ' at offset 30"},
		{name: "non-ASCII 26 bytes", in: "test-01H2XVNZ7C9NXWK3TMCRD9QWé", reason: "character 'é' at offset 29"},
		{name: "non-ASCII 25 bytes", in: "test-01H2XVNZ7C9NXWK3TMCRD9Qé", reason: "ULID part is 25 bytes long"},
		{name: "invalid UTF-8", in: "test-01H2XVNZ7C9NXWK3TMCRD9QWM\xd2", reason: `character '\xd2' at offset 30`},
		{name: "NUL", in: "test-01H2XVNZ7C9NXWK3TMCRD9QWM\x00", reason: `character '\x00' at offset 30`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := richid.Parse[testKind](tt.in)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Parse(%q): %v", tt.in, err)
				}
				if got := id.UUIDString(); got != tt.uuid {
					t.Errorf("UUIDString() = %q, want %q", got, tt.uuid)
				}
				if got := id.String(); got != tt.string {
					t.Errorf("String() = %q, want %q", got, tt.string)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error containing %q", tt.in, id, tt.reason)
			}
			if !id.IsZero() {
				t.Errorf("Parse(%q) returned non-zero ID %v with error", tt.in, id)
			}
			checkParseError(t, err, tt.in, "test", tt.reason)
		})
	}
}

// checkParseError checks that err is a *ParseError for input that matches ErrInvalid and explains itself.
func checkParseError(t *testing.T, err error, input, expected, reason string) {
	t.Helper()
	if !errors.Is(err, richid.ErrInvalid) {
		t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
	}
	var pe *richid.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *ParseError", err, err)
	}
	if pe.Input != input {
		t.Errorf("ParseError.Input = %q, want %q", pe.Input, input)
	}
	if pe.Expected != expected {
		t.Errorf("ParseError.Expected = %q, want %q", pe.Expected, expected)
	}
	if !strings.Contains(pe.Reason, reason) {
		t.Errorf("ParseError.Reason = %q, want it to contain %q", pe.Reason, reason)
	}
	if len(input) <= 64 && !strings.Contains(err.Error(), strconv.Quote(input)) {
		t.Errorf("error %q does not quote the input %q", err, input)
	}
	if !strings.HasPrefix(err.Error(), "richid: invalid "+expected+" ID ") {
		t.Errorf("error %q does not start with the package and kind", err)
	}
}

func TestParseErrorTruncatesLongInput(t *testing.T) {
	long := "test-" + strings.Repeat("0", 100)
	_, err := richid.Parse[testKind](long)
	if err == nil {
		t.Fatal("Parse accepted 105 bytes")
	}
	want := `richid: invalid test ID "` + long[:64] + `…": ULID part is 100 bytes long, want 26 Crockford base32 characters`
	if err.Error() != want {
		t.Errorf("error =\n%s\nwant\n%s", err, want)
	}
	var pe *richid.ParseError
	if !errors.As(err, &pe) || pe.Input != long {
		t.Errorf("ParseError.Input does not hold the whole input")
	}

	// The cut never splits a UTF-8 sequence: 63 ASCII bytes then a 2-byte rune straddling byte 64.
	multi := strings.Repeat("x", 63) + "éé-" + strings.Repeat("0", 26)
	_, err = richid.Parse[testKind](multi)
	if want := `"` + strings.Repeat("x", 63) + `…"`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %s", err, want)
	}
	// A long wrong prefix is cut in the reason too.
	longPrefix := strings.Repeat("p", 200) + "-01H2XVNZ7C9NXWK3TMCRD9QWMN"
	_, err = richid.Parse[testKind](longPrefix)
	if n := len(err.Error()); n > 250 {
		t.Errorf("error for a 227-byte input is %d bytes long: %s", n, err)
	}
}

func TestParseKindsAreDistinct(t *testing.T) {
	u := richid.MustParse[userKind]("user-01H2XVNZ7C9NXWK3TMCRD9QWMN")
	if _, err := richid.Parse[tenantKind](u.String()); err == nil {
		t.Fatal("a user ID parsed as a tenant ID")
	} else {
		checkParseError(t, err, u.String(), "tenant", `prefix is "user", want "tenant"`)
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		r := recover()
		err, ok := r.(error)
		if !ok || !errors.Is(err, richid.ErrInvalid) {
			t.Errorf("MustParse panicked with %v, want a ParseError", r)
		}
	}()
	richid.MustParse[testKind]("test-")
}

func TestValidatePrefix(t *testing.T) {
	tests := []struct {
		in     string
		reason string // "" when valid
	}{
		{in: "tenant"},
		{in: "a"},
		{in: "oidc_connector"},
		{in: "v2"},
		{in: strings.Repeat("a", 32)},
		{in: "", reason: "empty"},
		{in: strings.Repeat("a", 33), reason: "33 bytes long, at most 32"},
		{in: "Tenant", reason: "must start with a lowercase letter"},
		{in: "1tenant", reason: "must start with a lowercase letter"},
		{in: "_tenant", reason: "must start with a lowercase letter"},
		{in: "tenant_", reason: `must not end with "_"`},
		{in: "user-tag", reason: "character '-' at offset 4"},
		{in: "userTag", reason: "character 'T' at offset 4"},
		{in: "usér", reason: "character 'é' at offset 2"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			err := richid.ValidatePrefix(tt.in)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("ValidatePrefix(%q) = %v", tt.in, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidatePrefix(%q) = nil, want error containing %q", tt.in, tt.reason)
			}
			if !errors.Is(err, richid.ErrInvalidPrefix) {
				t.Errorf("errors.Is(%v, ErrInvalidPrefix) = false", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q does not contain %q", err, tt.reason)
			}
		})
	}
}

func TestUnmarshalTextFailureLeavesIDUnchanged(t *testing.T) {
	orig := richid.MustParse[testKind]("test-01H2XVNZ7C9NXWK3TMCRD9QWMN")
	for _, bad := range []string{"test-80000000000000000000000000", "test-01H2XVNZ7C9NXWK3TMCRD9QWMU", "user-01H2XVNZ7C9NXWK3TMCRD9QWMN", ""} {
		id := testID{orig}
		err := id.UnmarshalText([]byte(bad))
		if err == nil || id.ID != orig {
			t.Errorf("UnmarshalText(%q) = %v and changed the ID to %v", bad, err, id)
		}
		checkParseError(t, err, bad, "test", "")
	}
}
