package schemadiff

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrDestructive is matched by *DestructiveError.
	ErrDestructive = errors.New("schemadiff: destructive change")
	// ErrUnsupported is returned (wrapped) for schema changes PostgreSQL
	// cannot make in place and that need a hand-written migration.
	ErrUnsupported = errors.New("schemadiff: change needs a hand-written migration")
)

// DestructiveError lists the destructive changes that stopped a diff; set
// AllowDestructive to write them anyway.
type DestructiveError struct {
	Findings []Finding
}

func (e *DestructiveError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "schemadiff: refusing %d destructive change(s); nothing was written (allow them explicitly, e.g. `db diff --allow-destructive NAME`, once the data is safe):", len(e.Findings))
	for _, f := range e.Findings {
		fmt.Fprintf(&b, "\n  %s: %s\n    %s", f.Code, f.Text, f.Statement)
	}
	return b.String()
}

// Is reports ErrDestructive.
func (e *DestructiveError) Is(target error) bool { return target == ErrDestructive }
