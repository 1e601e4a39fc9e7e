package sensitive

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"

	"go.uber.org/zap/zapcore"
)

// Redacted is what every printed, logged or marshaled [Sensitive] shows.
const Redacted = "[REDACTED]"

// ErrPlaintextWrite is returned by [Sensitive.Value]: a plaintext value must
// be sealed ([Seal]) before it goes to the database.
var ErrPlaintextWrite = errors.New("sensitive: refusing to write a plaintext Sensitive value to the database; store sensitive.Seal(ctx, keyring, v.Reveal()) instead")

// Sensitive holds a plaintext T in memory and never shows it: String, every
// fmt verb (%v %+v %#v %s %q ...), JSON, zap and slog all print "[REDACTED]".
// Call [Sensitive.Reveal] to use the value. Private views carry a
// Sensitive[T]; public views carry none.
type Sensitive[T any] struct {
	v   T
	set bool
}

// New wraps v.
func New[T any](v T) Sensitive[T] { return Sensitive[T]{v: v, set: true} }

// Reveal returns the plaintext value.
func (s Sensitive[T]) Reveal() T { return s.v }

// IsSet reports whether s was made by [New] (the zero Sensitive is unset).
func (s Sensitive[T]) IsSet() bool { return s.set }

// String implements fmt.Stringer: "[REDACTED]".
func (s Sensitive[T]) String() string { return Redacted }

// GoString implements fmt.GoStringer: "[REDACTED]".
func (s Sensitive[T]) GoString() string { return Redacted }

// Format implements fmt.Formatter: every verb prints "[REDACTED]".
func (s Sensitive[T]) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// MarshalJSON implements json.Marshaler: "[REDACTED]". There is deliberately
// no UnmarshalJSON, so a redacted document cannot be read back as a value.
func (s Sensitive[T]) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler: "[REDACTED]".
func (s Sensitive[T]) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// LogValue implements slog.LogValuer: "[REDACTED]".
func (s Sensitive[T]) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalLogObject implements zapcore.ObjectMarshaler: {"value":"[REDACTED]"}.
func (s Sensitive[T]) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("value", Redacted)
	return nil
}

// RedactedLogValue is what the SQL log shows for a Sensitive argument.
func (s Sensitive[T]) RedactedLogValue() string { return Redacted }

// Value implements driver.Valuer only to fail with [ErrPlaintextWrite]:
// without it a driver could JSON-encode the redacted form into a column.
func (s Sensitive[T]) Value() (driver.Value, error) { return nil, ErrPlaintextWrite }
