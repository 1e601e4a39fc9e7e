package sensitive

import (
	"encoding/hex"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Place is where a sealed value is stored: a table, a column and the row's
// primary key (a UUID). [SealAt] binds an envelope to its place: the place is
// part of the AEAD additional data, so an envelope copied into another row,
// another column or another table fails to open there ([ErrMisplaced]).
//
// The zero Place means "not stored in a row": [Seal] and [Open] use it.
type Place struct {
	Table  string   // SQL table, e.g. "users"
	Column string   // SQL column, e.g. "idp_user_info"
	Row    [16]byte // the row's primary key (UUID bytes)
}

// At returns the place of column in table for the row whose primary key
// is the UUID row (e.g. entityid.UserID.UUID()).
func At(table, column string, row [16]byte) Place {
	return Place{Table: table, Column: column, Row: row}
}

// IsZero reports whether p is the zero Place (not stored in a row).
func (p Place) IsZero() bool { return p == Place{} }

// String returns "table.column[row-uuid]", or "(unplaced)" for the zero Place.
func (p Place) String() string {
	if p.IsZero() {
		return "(unplaced)"
	}
	return p.Table + "." + p.Column + "[" + formatUUID(p.Row) + "]"
}

// maxNameLen bounds a table or column name (PostgreSQL's NAMEDATALEN-1 is
// 63; the margin costs nothing and refuses absurd input).
const maxNameLen = 255

// Validate reports whether p names a complete place: a table and a column
// (1 to 255 bytes of UTF-8 without NUL) and a non-zero row ID.
func (p Place) Validate() error {
	for _, f := range []struct{ what, v string }{{"table", p.Table}, {"column", p.Column}} {
		switch {
		case f.v == "":
			return fmt.Errorf("%w: empty %s name", ErrInvalidPlace, f.what)
		case len(f.v) > maxNameLen:
			return fmt.Errorf("%w: %s name is %d bytes, longer than %d", ErrInvalidPlace, f.what, len(f.v), maxNameLen)
		case !utf8.ValidString(f.v):
			return fmt.Errorf("%w: %s name is not valid UTF-8", ErrInvalidPlace, f.what)
		}
		for i := 0; i < len(f.v); i++ {
			if f.v[i] == 0 {
				return fmt.Errorf("%w: %s name %q contains a NUL byte", ErrInvalidPlace, f.what, f.v)
			}
		}
	}
	if p.Row == [16]byte{} {
		return fmt.Errorf("%w: %s.%s: zero row ID; set the row's ID before sealing its value (IDs are generated in Go)", ErrInvalidPlace, p.Table, p.Column)
	}
	return nil
}

// ErrInvalidPlace is returned by [SealAt], [OpenAt] and [RekeyAt] for an
// incomplete [Place] (a programming error: nothing is sealed or opened).
var ErrInvalidPlace = errors.New("sensitive: invalid place")

// ErrMisplaced matches an envelope opened somewhere other than where it was
// sealed (as a *[MisplacedError]): copied or moved into another row, column
// or table, or an envelope sealed for a row opened without one, or the
// reverse.
var ErrMisplaced = errors.New("sensitive: sealed value is not where it was sealed")

// MisplacedError reports an envelope whose recorded place is not the place
// it was read from. The recorded place is only a hint for this message: the
// AEAD additional data binds the place, so editing the hint to match makes
// the envelope fail with [ErrDecrypt] instead of opening.
type MisplacedError struct {
	Sealed Place // where the envelope says it was sealed
	Read   Place // where it was read from
}

func (e *MisplacedError) Error() string {
	return fmt.Sprintf("sensitive: value sealed for %s was read from %s; a sealed value opens only where it was sealed "+
		"(was it copied from another row? restore the row's own value or set a new one)", e.Sealed, e.Read)
}

// Unwrap returns [ErrMisplaced].
func (e *MisplacedError) Unwrap() error { return ErrMisplaced }

func formatUUID(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// parseUUID parses the canonical 8-4-4-4-12 form formatUUID writes.
func parseUUID(s string) ([16]byte, error) {
	var u [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, errors.New("row is not a UUID in 8-4-4-4-12 form")
	}
	src := []byte(s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:])
	if _, err := hex.Decode(u[:], src); err != nil {
		return u, errors.New("row is not a UUID in 8-4-4-4-12 form")
	}
	return u, nil
}
