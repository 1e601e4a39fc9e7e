package service

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestClassifyInputErrors: what the edge validation misses and PostgreSQL
// or pgx refuse for the input's bytes or size is ErrInvalid, not an
// internal error. Deliberate bug: dropping the classifyInput call from
// classify (a 22021 became a 500).
func TestClassifyInputErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err     error
		invalid bool
	}{
		{&pgconn.PgError{Code: "22021", Message: "invalid byte sequence for encoding \"UTF8\": 0x00"}, true},
		{&pgconn.PgError{Code: "22P05", Message: "unsupported Unicode escape sequence"}, true},
		{&pgconn.PgError{Code: "54000", Message: "index row size exceeds maximum"}, true},
		{&pgconn.PgError{Code: "54001", Message: "statement is too complex"}, true},
		{fmt.Errorf("insert: %w", errors.New("extended protocol limited to 65535 parameters")), true},
		{&pgconn.PgError{Code: "40001"}, false},
		{errors.New("connection reset"), false},
	} {
		err := classify(entityUser, "", fmt.Errorf("wrapped: %w", tt.err))
		if got := errors.Is(err, ErrInvalid); got != tt.invalid {
			t.Errorf("classify(%v) = %v: invalid %t, want %t", tt.err, err, got, tt.invalid)
		}
	}
}
