package pglock

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestIsUndefinedSetting: only SQLSTATE 42704 (a server without
// idle_session_timeout, before PostgreSQL 14) is tolerated, wrapped or not.
// Bugs caught: && written || (any PostgreSQL error tolerated, or a panic on
// others), the code compared the wrong way.
func TestIsUndefinedSetting(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "42704"}, true},
		{fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: "42704"}), true},
		{&pgconn.PgError{Code: "42P01"}, false},
		{errors.New("42704"), false},
	}
	for _, tt := range tests {
		if got := isUndefinedSetting(tt.err); got != tt.want {
			t.Errorf("isUndefinedSetting(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
