package richid

import (
	"bytes"
	"time"
	"unsafe"

	"github.com/oklog/ulid/v2"
)

// Kind marks the entity an ID belongs to. It is implemented by zero-size marker types whose Prefix returns a
// constant that satisfies [ValidatePrefix].
type Kind interface {
	// Prefix is the text before the "-" in the rich form, e.g. "tenant".
	Prefix() string
}

// ID is the ID of an entity of kind K: the 16 bytes of a ULID, stored in PostgreSQL as uuid.
//
// IDs are comparable; the zero value is the nil ID (all zero bytes), which formats as
// "<prefix>-00000000000000000000000000" and is stored as the nil UUID.
type ID[K Kind] struct{ u [16]byte }

// FromUUID returns the ID of kind K with the given 16 bytes (a UUID or a [ulid.ULID]).
func FromUUID[K Kind](u [16]byte) ID[K] { return ID[K]{u: u} }

// FromBytes returns the ID of kind K held in b, which must be exactly 16 bytes.
func FromBytes[K Kind](b []byte) (ID[K], error) {
	if len(b) != 16 {
		return ID[K]{}, newParseError[K](string(b), reasonRawLength(len(b)))
	}
	return ID[K]{u: [16]byte(b)}, nil
}

// ParseUUID parses the canonical text form of a UUID (8-4-4-4-12 hex digits, either case), as PostgreSQL prints
// it, into an ID of kind K. Every failure matches [ErrInvalid].
func ParseUUID[K Kind](s string) (ID[K], error) {
	u, reason := parseUUID(s)
	if reason != "" {
		return ID[K]{}, newParseError[K](s, reason)
	}
	return ID[K]{u: u}, nil
}

// Prefix returns the prefix of kind K, e.g. "tenant".
func (ID[K]) Prefix() string {
	var k K
	return k.Prefix()
}

// String returns the rich form, e.g. "tenant-01H2XVNZ7C9NXWK3TMCRD9QWMN" (Crockford base32, uppercase).
func (id ID[K]) String() string {
	b := id.rich()
	// b is new and never written again, so viewing it as a string is safe and saves a second allocation.
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// rich returns the rich form in a new slice of exactly its length.
func (id ID[K]) rich() []byte {
	var k K
	p := k.Prefix()
	n := len(p)
	b := make([]byte, n+27)
	copy(b, p)
	b[n] = '-'
	encodeBase32((*[26]byte)(b[n+1:]), &id.u)
	return b
}

// UUID returns the 16 bytes of the ID.
func (id ID[K]) UUID() [16]byte { return id.u }

// UUIDString returns the canonical UUID text form, e.g. "0188bbba-fce9-4d7a-b9e8-fa9c11ab7d34".
func (id ID[K]) UUIDString() string {
	b := make([]byte, 36)
	encodeUUID((*[36]byte)(b), &id.u)
	return unsafe.String(unsafe.SliceData(b), len(b)) // b is new and never written again
}

// ULID returns the ID as an oklog ULID.
func (id ID[K]) ULID() ulid.ULID { return ulid.ULID(id.u) }

// Time returns the ULID's timestamp (millisecond precision, UTC).
func (id ID[K]) Time() time.Time {
	return time.UnixMilli(int64(timeMS(&id.u))).UTC()
}

// IsZero reports whether id is the nil ID. encoding/json's omitzero option uses it.
func (id ID[K]) IsZero() bool { return id.u == [16]byte{} }

// Compare returns -1, 0 or +1 as id sorts before, equal to or after other. Byte order is time order.
func (id ID[K]) Compare(other ID[K]) int { return bytes.Compare(id.u[:], other.u[:]) }

// appendRich appends "<prefix>-<26 base32 chars>" to b.
func (id ID[K]) appendRich(b []byte) []byte {
	var k K
	b = append(b, k.Prefix()...)
	b = append(b, '-')
	var enc [26]byte
	encodeBase32(&enc, &id.u)
	return append(b, enc[:]...)
}

func timeMS(u *[16]byte) uint64 {
	return uint64(u[0])<<40 | uint64(u[1])<<32 | uint64(u[2])<<24 | uint64(u[3])<<16 | uint64(u[4])<<8 | uint64(u[5])
}
