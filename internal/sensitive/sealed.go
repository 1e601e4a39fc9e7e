package sensitive

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"log/slog"

	"go.uber.org/zap/zapcore"
)

// Envelope format versions. Version 2 binds the value to its [Place] (the
// place is part of the additional data and recorded in the envelope);
// version 1 envelopes, written before that, still open and are upgraded by
// [RekeyAt] (`app db rekey`).
const (
	envelopeV1      = 1
	envelopeV2      = 2
	envelopeVersion = envelopeV2 // what this package writes
)

// envelope is the stored form (version 2):
//
//	{"v":2,"kid":"local-2026","kver":3,"tbl":"users","col":"idp_user_info","row":"<uuid>","wdk":"<b64>","n":"<b64>","ct":"<b64>"}
//
// wdk is the data key wrapped by the keeper of (kid, kver); n and ct are the
// AES-256-GCM nonce and ciphertext (tag appended) of the JSON-encoded value.
// tbl, col and row are absent for a value sealed without a place ([Seal]),
// and in version 1 envelopes.
type envelope struct {
	version int
	key     KeyRef
	place   Place // zero: unplaced
	wdk     []byte
	nonce   []byte
	ct      []byte
}

// wireHeader is the leading part of the JSON shape: what an envelope is
// and which key sealed it. CurrentHeader marshals it alone.
type wireHeader struct {
	V    int    `json:"v"`
	KID  string `json:"kid"`
	KVer int    `json:"kver"`
}

// wireEnvelope is the JSON shape; byte fields are standard base64. The
// embedded header's fields come first, as before it was split out.
type wireEnvelope struct {
	wireHeader
	Tbl string `json:"tbl,omitempty"`
	Col string `json:"col,omitempty"`
	Row string `json:"row,omitempty"`
	WDK []byte `json:"wdk"`
	N   []byte `json:"n"`
	CT  []byte `json:"ct"`
}

func (e *envelope) marshal() []byte {
	w := wireEnvelope{wireHeader: wireHeader{V: e.version, KID: e.key.ID, KVer: e.key.Version}, WDK: e.wdk, N: e.nonce, CT: e.ct}
	if !e.place.IsZero() {
		w.Tbl, w.Col, w.Row = e.place.Table, e.place.Column, formatUUID(e.place.Row)
	}
	return appendEnvelope(make([]byte, 0, envelopeLen(&w)), &w)
}

// parseEnvelope parses and checks the stored JSON. Its errors never quote
// the input, which may be a plaintext document written by mistake.
func parseEnvelope(b []byte) (*envelope, error) {
	var w wireEnvelope
	if !fastParse(b, &w) {
		w = wireEnvelope{}
		if err := json.Unmarshal(b, &w); err != nil {
			return nil, fmt.Errorf("%w: not an envelope object (%d bytes)", ErrMalformed, len(b))
		}
	}
	if w.V != envelopeV1 && w.V != envelopeV2 {
		return nil, fmt.Errorf("%w: envelope version %d not supported (want %d or %d)", ErrMalformed, w.V, envelopeV1, envelopeV2)
	}
	key := KeyRef{ID: w.KID, Version: w.KVer}
	if err := key.Validate(); err != nil {
		return nil, fmt.Errorf("%w: bad kid/kver: %w", ErrMalformed, err)
	}
	var place Place
	switch hasPlace := w.Tbl != "" || w.Col != "" || w.Row != ""; {
	case hasPlace && w.V == envelopeV1:
		return nil, fmt.Errorf("%w: key %q: a version 1 envelope has no place (tbl, col, row)", ErrMalformed, key.String())
	case hasPlace:
		row, err := parseUUID(w.Row)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: %v", ErrMalformed, key.String(), err)
		}
		place = Place{Table: w.Tbl, Column: w.Col, Row: row}
		if err := place.Validate(); err != nil {
			return nil, fmt.Errorf("%w: key %q: %w", ErrMalformed, key.String(), err)
		}
	}
	switch {
	case len(w.WDK) == 0:
		return nil, fmt.Errorf("%w: key %q: missing wrapped data key \"wdk\"", ErrMalformed, key.String())
	case len(w.N) != nonceSize:
		return nil, fmt.Errorf("%w: key %q: nonce \"n\" is %d bytes, want %d", ErrMalformed, key.String(), len(w.N), nonceSize)
	case len(w.CT) < tagSize:
		return nil, fmt.Errorf("%w: key %q: ciphertext \"ct\" is %d bytes, shorter than the %d-byte tag", ErrMalformed, key.String(), len(w.CT), tagSize)
	}
	return &envelope{version: w.V, key: key, place: place, wdk: w.WDK, nonce: w.N, ct: w.CT}, nil
}

// Sealed is an encrypted T as stored in a PostgreSQL jsonb column. It holds
// only the envelope, never plaintext: [Seal] makes one and [Open] reads it.
// The zero Sealed is SQL NULL.
//
// It implements driver.Valuer and sql.Scanner. ent v0.14 generates invalid
// code for a generic instantiation used directly as a field type (its
// reflected name carries a full import path), so declare a defined type that
// embeds it and use that in the schema:
//
//	type SealedIdPUserInfo struct{ sensitive.Sealed[IdPUserInfo] }
//
//	field.Other("idp_user_info", SealedIdPUserInfo{}).
//		SchemaType(map[string]string{dialect.Postgres: "jsonb"})
//
// Scan is lenient: a stored value that is not an envelope scans without error
// (so that reading the rest of the row still works) and [Open] then reports
// [ErrMalformed].
type Sealed[T any] struct {
	env *envelope // nil: NULL or malformed
	bad error     // set when Scan found something that is not an envelope
}

// IsZero reports whether s holds nothing (SQL NULL).
func (s Sealed[T]) IsZero() bool { return s.env == nil && s.bad == nil }

// Key returns the key id and version the envelope names (zero if none).
func (s Sealed[T]) Key() KeyRef {
	if s.env == nil {
		return KeyRef{}
	}
	return s.env.key
}

// Version returns the envelope format version (1 or 2; 0 if none).
// [NeedsRekey] reports version 1 envelopes, which are not bound to a place.
func (s Sealed[T]) Version() int {
	if s.env == nil {
		return 0
	}
	return s.env.version
}

// Place returns the place the envelope records (zero for an unplaced or
// version 1 envelope). It is what the envelope claims; only [OpenAt]
// proves it.
func (s Sealed[T]) Place() Place {
	if s.env == nil {
		return Place{}
	}
	return s.env.place
}

// Err returns why a scanned value is not a valid envelope, or nil.
func (s Sealed[T]) Err() error { return s.bad }

// Value implements driver.Valuer: the envelope JSON as a string, or nil for
// the zero Sealed. A malformed scanned value is never written back.
func (s Sealed[T]) Value() (driver.Value, error) {
	if s.bad != nil {
		return nil, fmt.Errorf("sensitive: write sealed value: %w", s.bad)
	}
	if s.env == nil {
		return nil, nil
	}
	return string(s.env.marshal()), nil
}

// Scan implements sql.Scanner for jsonb (text or bytes) and NULL.
func (s *Sealed[T]) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*s = Sealed[T]{}
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("sensitive: scan %T into Sealed: want jsonb text, bytes or NULL", src)
	}
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*s = Sealed[T]{}
		return nil
	}
	env, err := parseEnvelope(b)
	*s = Sealed[T]{env: env, bad: err}
	return nil
}

// MarshalJSON returns the envelope (ciphertext only), or null.
func (s Sealed[T]) MarshalJSON() ([]byte, error) {
	if s.bad != nil {
		return nil, fmt.Errorf("sensitive: marshal sealed value: %w", s.bad)
	}
	if s.env == nil {
		return []byte("null"), nil
	}
	return s.env.marshal(), nil
}

// UnmarshalJSON parses an envelope (or null); unlike Scan it rejects
// anything else with [ErrMalformed].
func (s *Sealed[T]) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*s = Sealed[T]{}
		return nil
	}
	env, err := parseEnvelope(b)
	if err != nil {
		return err
	}
	*s = Sealed[T]{env: env}
	return nil
}

// String describes the envelope without its contents: "[SEALED kid:3]".
func (s Sealed[T]) String() string {
	switch {
	case s.bad != nil:
		return "[SEALED malformed]"
	case s.env == nil:
		return "[SEALED null]"
	}
	return "[SEALED " + s.env.key.String() + "]"
}

// GoString implements fmt.GoStringer (%#v) like String.
func (s Sealed[T]) GoString() string { return s.String() }

// Format implements fmt.Formatter: every verb prints String.
func (s Sealed[T]) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// RedactedLogValue is what the SQL log shows for a Sealed argument.
func (s Sealed[T]) RedactedLogValue() string { return s.String() }

// LogValue implements slog.LogValuer.
func (s Sealed[T]) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalLogObject implements zapcore.ObjectMarshaler: key id and version only.
func (s Sealed[T]) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("sealed", s.String())
	return nil
}

// CurrentHeader is the JSON document a stored envelope contains (jsonb @>)
// exactly when it is what Seal writes now: the current envelope version
// under the current key. The rekey job selects the values that need
// re-encrypting with NOT (value @> CurrentHeader()), so the wire names and
// the version number live here only.
func (k *Keyring) CurrentHeader() string {
	b, err := json.Marshal(wireHeader{V: envelopeVersion, KID: k.current.ID, KVer: k.current.Version})
	if err != nil { // cannot happen: a string and two ints
		panic("sensitive: marshal envelope header: " + err.Error())
	}
	return string(b)
}
