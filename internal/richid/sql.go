package richid

import (
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"
)

// ErrNull is matched by the error from scanning SQL NULL into an ID. A non-pointer ID has no "absent" value
// distinct from the nil ID, so NULL is refused rather than silently read as the nil ID.
var ErrNull = errors.New("richid: NULL into a non-pointer ID; use a pointer (e.g. *entityid.TenantID) for nullable columns")

// Value implements [driver.Valuer]: the canonical UUID text, which PostgreSQL reads as uuid. It is never []byte,
// which drivers send as bytea. pgx does not call Value for uuid parameters: it uses [ID.UUIDValue] and sends
// the 16 bytes in binary.
func (id ID[K]) Value() (driver.Value, error) { return id.UUIDString(), nil }

// Scan implements [sql.Scanner]. It accepts UUID text (string or []byte, 8-4-4-4-12 hex), 16 raw bytes
// ([]byte or [16]byte), and refuses NULL with [ErrNull]. Invalid content matches [ErrInvalid].
func (id *ID[K]) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		return fmt.Errorf("scan NULL into %s ID: %w", id.Prefix(), ErrNull)
	case string:
		u, reason := parseUUID(v)
		if reason != "" {
			return fmt.Errorf("scan string into %s ID: %w", id.Prefix(), newParseError[K](v, reason))
		}
		id.u = u
	case []byte:
		switch len(v) {
		case 16:
			id.u = [16]byte(v)
		default:
			u, reason := parseUUID(v)
			if reason != "" {
				if len(v) != 36 {
					reason = fmt.Sprintf("%d bytes, want 16 raw bytes or 36 bytes of UUID text", len(v))
				}
				return fmt.Errorf("scan []byte into %s ID: %w", id.Prefix(), newParseError[K](string(v), reason))
			}
			id.u = u
		}
	case [16]byte:
		id.u = v
	default:
		return fmt.Errorf("scan %T into %s ID: %w: unsupported source type; want a uuid column (string, []byte or [16]byte)",
			src, id.Prefix(), ErrInvalid)
	}
	return nil
}

// UUIDValue implements pgx's [pgtype.UUIDValuer], so pgx encodes an ID as a binary uuid without allocating.
func (id ID[K]) UUIDValue() (pgtype.UUID, error) { return pgtype.UUID{Bytes: id.u, Valid: true}, nil }

// ScanUUID implements pgx's [pgtype.UUIDScanner]. NULL is refused with [ErrNull]; scan into a pointer
// (e.g. **TenantID via &p) for nullable columns, which pgx sets to nil.
func (id *ID[K]) ScanUUID(v pgtype.UUID) error {
	if !v.Valid {
		return fmt.Errorf("scan NULL into %s ID: %w", id.Prefix(), ErrNull)
	}
	id.u = v.Bytes
	return nil
}
