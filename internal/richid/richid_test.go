package richid_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/central/central/internal/richid"
	"github.com/oklog/ulid/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// samples covers the edges of the 128-bit range and a few ordinary IDs.
var samples = []struct {
	rich string
	uuid string
}{
	{"test-00000000000000000000000000", "00000000-0000-0000-0000-000000000000"},
	{"test-00000000000000000000000001", "00000000-0000-0000-0000-000000000001"},
	{"test-7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "ffffffff-ffff-ffff-ffff-ffffffffffff"},
	{"test-01H2XVNZ7C9NXWK3TMCRD9QWMN", "0188bbba-fcec-4d7b-c98f-54661a9bf295"},
	{"test-40000000000000000000000000", "80000000-0000-0000-0000-000000000000"},
	{"test-0123456789ABCDEFGHJKMNPQRS", "0110c853-1d09-52d8-d73e-1194e95b5f19"}, // the alphabet in order
}

func TestRoundTrips(t *testing.T) {
	for _, s := range samples {
		t.Run(s.rich, func(t *testing.T) {
			id, err := richid.Parse[testKind](s.rich)
			if err != nil {
				t.Fatal(err)
			}
			if got := id.UUIDString(); got != s.uuid {
				t.Fatalf("UUIDString() = %s, want %s", got, s.uuid)
			}
			// UUID text -> ID -> rich string.
			fromText, err := richid.ParseUUID[testKind](strings.ToUpper(s.uuid))
			if err != nil {
				t.Fatal(err)
			}
			if fromText != id || fromText.String() != s.rich {
				t.Errorf("ParseUUID(%s) = %v, want %v", s.uuid, fromText, id)
			}
			// bytes -> ID.
			u := id.UUID()
			if richid.FromUUID[testKind](u) != id {
				t.Errorf("FromUUID(UUID()) != id")
			}
			fromBytes, err := richid.FromBytes[testKind](u[:])
			if err != nil || fromBytes != id {
				t.Errorf("FromBytes(UUID()) = %v, %v", fromBytes, err)
			}
			// Agrees with oklog/ulid, which is the reference encoder.
			ref, err := ulid.ParseStrict(strings.TrimPrefix(s.rich, "test-"))
			if err != nil {
				t.Fatal(err)
			}
			if id.ULID() != ref || ref.String() != strings.TrimPrefix(s.rich, "test-") {
				t.Errorf("ULID() = %v, oklog parses %v", id.ULID(), ref)
			}
			if !id.Time().Equal(ref.Timestamp()) || id.Time().Location() != time.UTC {
				t.Errorf("Time() = %v, oklog says %v", id.Time(), ref.Timestamp())
			}
			// Text marshaling.
			text, err := id.MarshalText()
			if err != nil || string(text) != s.rich {
				t.Errorf("MarshalText() = %q, %v", text, err)
			}
			appended, _ := id.AppendText([]byte("x="))
			if string(appended) != "x="+s.rich {
				t.Errorf("AppendText = %q", appended)
			}
			var back richid.ID[testKind]
			if err := back.UnmarshalText(bytes.ToLower(text)); err != nil || back != id {
				t.Errorf("UnmarshalText(lower) = %v, %v", back, err)
			}
			if fmt.Sprint(id) != s.rich || fmt.Sprintf("%v|%s", testID{id}, &id) != s.rich+"|"+s.rich {
				t.Errorf("fmt does not use String: %v", id)
			}
		})
	}
}

func TestIDBasics(t *testing.T) {
	var zero richid.ID[testKind]
	if !zero.IsZero() || zero.String() != "test-00000000000000000000000000" || zero.Prefix() != "test" {
		t.Errorf("zero ID: IsZero %v, String %s, Prefix %s", zero.IsZero(), zero, zero.Prefix())
	}
	if !zero.Time().Equal(time.Unix(0, 0)) {
		t.Errorf("zero ID time = %v", zero.Time())
	}
	a := richid.MustParse[testKind]("test-01H2XVNZ7C9NXWK3TMCRD9QWMN")
	b := richid.MustParse[testKind]("test-01H2XVNZ7C9NXWK3TMCRD9QWMP")
	if a.IsZero() || a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Errorf("Compare: %d %d %d", a.Compare(b), b.Compare(a), a.Compare(a))
	}
	if got := (testID{a}).Prefix(); got != "test" {
		t.Errorf("promoted Prefix() = %q", got)
	}
	if _, err := richid.FromBytes[testKind](make([]byte, 15)); !errors.Is(err, richid.ErrInvalid) ||
		!strings.Contains(err.Error(), "15 bytes, want exactly 16") {
		t.Errorf("FromBytes(15 bytes) error = %v", err)
	}
}

func TestParseUUIDErrors(t *testing.T) {
	tests := []struct{ in, reason string }{
		{"", "UUID text is 0 bytes long, want 36"},
		{"0188bbbafcec4d7bc98f54661a9bf295", "is 32 bytes long, want 36"},
		{"{0188bbba-fcec-4d7b-c98f-54661a9bf29}", "is 37 bytes long"},
		{"0188bbba-fcec-4d7b-c98f-54661a9bf29g", `byte 'g' at offset 35`},
		{"0188bbba_fcec-4d7b-c98f-54661a9bf295", `byte '_' at offset 8`},
		{"0188bbba-fcec-4d7b-c98f-54661a9bf2-5", `byte '-' at offset 34`},
		{"test-01H2XVNZ7C9NXWK3TMCRD9QWMN12345", `byte 't' at offset 0`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			id, err := richid.ParseUUID[testKind](tt.in)
			if err == nil {
				t.Fatalf("ParseUUID(%q) = %v, want error", tt.in, id)
			}
			checkParseError(t, err, tt.in, "test", tt.reason)
		})
	}
}

func TestJSON(t *testing.T) {
	type payload struct {
		Plain    richid.ID[testKind]   `json:"plain"`
		Embedded testID                `json:"embedded"`
		Ptr      *testID               `json:"ptr"`
		Omitted  testID                `json:"omitted,omitzero"`
		Slice    []testID              `json:"slice"`
		Map      map[testID]string     `json:"map"`
		Other    richid.ID[tenantKind] `json:"other"`
	}
	a := richid.MustParse[testKind]("test-01H2XVNZ7C9NXWK3TMCRD9QWMN")
	b := richid.MustParse[testKind]("test-7ZZZZZZZZZZZZZZZZZZZZZZZZZ")
	in := payload{
		Plain: a, Embedded: testID{b}, Ptr: &testID{a}, Slice: []testID{{a}, {b}},
		Map:   map[testID]string{{a}: "a"},
		Other: richid.MustParse[tenantKind]("tenant-00000000000000000000000001"),
	}
	got, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"plain":"test-01H2XVNZ7C9NXWK3TMCRD9QWMN","embedded":"test-7ZZZZZZZZZZZZZZZZZZZZZZZZZ",` +
		`"ptr":"test-01H2XVNZ7C9NXWK3TMCRD9QWMN",` +
		`"slice":["test-01H2XVNZ7C9NXWK3TMCRD9QWMN","test-7ZZZZZZZZZZZZZZZZZZZZZZZZZ"],` +
		`"map":{"test-01H2XVNZ7C9NXWK3TMCRD9QWMN":"a"},"other":"tenant-00000000000000000000000001"}`
	if string(got) != want {
		t.Fatalf("json.Marshal =\n%s\nwant\n%s", got, want)
	}
	var out payload
	if err := json.Unmarshal(got, &out); err != nil {
		t.Fatal(err)
	}
	if out.Plain != in.Plain || out.Embedded != in.Embedded || *out.Ptr != *in.Ptr || out.Other != in.Other ||
		len(out.Slice) != 2 || out.Slice[1] != in.Slice[1] || out.Map[testID{a}] != "a" {
		t.Errorf("round trip = %+v, want %+v", out, in)
	}

	var null payload
	if err := json.Unmarshal([]byte(`{"ptr":null}`), &null); err != nil || null.Ptr != nil {
		t.Errorf("null into pointer: %v, %v", null.Ptr, err)
	}

	for _, bad := range []string{
		`{"embedded":"tenant-01H2XVNZ7C9NXWK3TMCRD9QWMN"}`, // a tenant ID where a test ID belongs
		`{"plain":"0188bbba-fcec-4d7b-c98f-54661a9bf295"}`, // UUID text is not the rich form
		`{"map":{"test-":"x"}}`,
	} {
		var p payload
		err := json.Unmarshal([]byte(bad), &p)
		if !errors.Is(err, richid.ErrInvalid) {
			t.Errorf("json.Unmarshal(%s) error = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestZap(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	log := zap.New(core)
	id := richid.MustParse[testKind]("test-01H2XVNZ7C9NXWK3TMCRD9QWMN")
	log.Info("m",
		richid.Field("field", id),
		zap.Any("any", id),
		zap.Any("embedded", testID{id}),
		zap.Stringer("stringer", testID{id}),
	)
	entries := logs.All()
	if len(entries) != 1 {
		t.Fatalf("%d log entries", len(entries))
	}
	ctx := entries[0].ContextMap()
	for _, key := range []string{"field", "any", "embedded", "stringer"} {
		if got := ctx[key]; got != "test-01H2XVNZ7C9NXWK3TMCRD9QWMN" {
			t.Errorf("%s = %#v, want the rich string", key, got)
		}
	}

	// The JSON encoder, as production uses, writes the rich string too.
	var buf bytes.Buffer
	enc := zapcore.NewJSONEncoder(zapcore.EncoderConfig{MessageKey: "msg"})
	jlog := zap.New(zapcore.NewCore(enc, zapcore.AddSync(&buf), zapcore.DebugLevel))
	jlog.Info("m", zap.Any("id", testID{id}))
	if want := `{"msg":"m","id":"test-01H2XVNZ7C9NXWK3TMCRD9QWMN"}` + "\n"; buf.String() != want {
		t.Errorf("JSON log = %s, want %s", buf.String(), want)
	}
}
