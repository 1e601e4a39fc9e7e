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

// ErrUnstable is matched by *UnstableError.
var ErrUnstable = errors.New("schemadiff: planned change does not converge")

// UnstableError reports changes that would still be planned after the
// migration that makes them is applied: a perpetual diff, which `atlas
// migrate diff` would report too. Nothing is written.
type UnstableError struct {
	Changes []string
}

func (e *UnstableError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "schemadiff: %d change(s) would be planned again after their own migration is applied (PostgreSQL stores them in another form); nothing was written:", len(e.Changes))
	for _, c := range e.Changes {
		fmt.Fprintf(&b, "\n  %s", c)
	}
	return b.String()
}

// Is reports ErrUnstable.
func (e *UnstableError) Is(target error) bool { return target == ErrUnstable }
