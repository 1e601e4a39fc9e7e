package seedengine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/central/central/internal/config"
)

// Sentinel errors; each typed error below matches one with errors.Is.
var (
	// ErrInvalidSet: Load and New refuse a seed package whose files and
	// functions disagree or whose names break the rules (*SetError).
	ErrInvalidSet = errors.New("seed: invalid seed set")
	// ErrChanged: an applied seed's file changed since it ran (*ChangedError).
	ErrChanged = errors.New("seed: applied seed file changed")
	// ErrMissing: the database records a seed the binary does not have
	// (*MissingError); an error in production, a warning elsewhere.
	ErrMissing = errors.New("seed: applied seed missing from the binary")
	// ErrEnvironmentMismatch: the database was seeded for another
	// environment (*EnvironmentMismatchError).
	ErrEnvironmentMismatch = errors.New("seed: database was seeded for another environment")
	// ErrOutOfOrder: a pending seed sorts before an applied one (*OutOfOrderError).
	ErrOutOfOrder = errors.New("seed: pending seed sorts before an applied one")
	// ErrLockTimeout: another instance held the seed lock longer than the
	// lock timeout.
	ErrLockTimeout = errors.New("seed: timed out waiting for the seed lock")
	// ErrNotInSeed: CopyFrom was called outside a running seed.
	ErrNotInSeed = errors.New("seed: not inside a running seed")
	// ErrCopyUnsupported: the Database given to New cannot lend the
	// connection of its transactions, so CopyFrom cannot run.
	ErrCopyUnsupported = errors.New("seed: database cannot lend its transaction's connection for COPY")
)

// Problem is one thing wrong with a seed set.
type Problem struct {
	Name string // seed name, or "" for the set as a whole
	Msg  string
}

// SetError lists everything wrong with a seed set.
type SetError struct {
	Env      config.Env
	Problems []Problem
}

func (e *SetError) add(name, msg string) { e.Problems = append(e.Problems, Problem{name, msg}) }

func (e *SetError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed: invalid %s seed set:", e.Env)
	for _, p := range e.Problems {
		if p.Name == "" {
			fmt.Fprintf(&b, "\n  %s", p.Msg)
		} else {
			fmt.Fprintf(&b, "\n  %s: %s", p.Name, p.Msg)
		}
	}
	return b.String()
}

// Is matches ErrInvalidSet.
func (e *SetError) Is(target error) bool { return target == ErrInvalidSet }

// ChangedError says an applied seed's file no longer has the hash recorded
// when it ran.
type ChangedError struct {
	Name     string
	Env      config.Env
	Recorded string // hex SHA-256 in the ledger
	Current  string // hex SHA-256 of the file in this binary
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("seed: %s seed %s changed since it was applied (recorded sha256 %s, current %s): seeds are immutable once applied: revert the file and add a new seed",
		e.Env, e.Name, e.Recorded, e.Current)
}

// Is matches ErrChanged.
func (e *ChangedError) Is(target error) bool { return target == ErrChanged }

// MissingError names seeds the ledger records that this binary lacks.
type MissingError struct {
	Env   config.Env
	Names []string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("seed: the database records %s seeds this binary does not have: %s; restore the files (seeds are never deleted once applied) or run a binary that has them",
		e.Env, strings.Join(e.Names, ", "))
}

// Is matches ErrMissing.
func (e *MissingError) Is(target error) bool { return target == ErrMissing }

// EnvironmentMismatchError says the database was seeded for another
// environment than the one the app runs in, like Rails'
// ActiveRecord::EnvironmentMismatchError.
type EnvironmentMismatchError struct {
	Stamped config.Env // environment the database was seeded for
	Current config.Env // environment of this run (APP_ENV)
}

func (e *EnvironmentMismatchError) Error() string {
	return fmt.Sprintf("seed: refusing to run %s seeds: this database was seeded for %s (app_meta seed_environment = %q); point the app at a %s database, or set APP_ENV=%s if this really is a %s database",
		e.Current, e.Stamped, e.Stamped, e.Current, e.Stamped, e.Stamped)
}

// Is matches ErrEnvironmentMismatch.
func (e *EnvironmentMismatchError) Is(target error) bool { return target == ErrEnvironmentMismatch }

// OutOfOrderError names pending seeds that sort before the latest applied one.
type OutOfOrderError struct {
	Env         config.Env
	Names       []string
	LastApplied string
}

func (e *OutOfOrderError) Error() string {
	return fmt.Sprintf("seed: pending %s seeds %s sort before the applied seed %s: rename them to sort after it, or allow out-of-order seeds (SEED_ALLOW_OUT_OF_ORDER=true)",
		e.Env, strings.Join(e.Names, ", "), e.LastApplied)
}

// Is matches ErrOutOfOrder.
func (e *OutOfOrderError) Is(target error) bool { return target == ErrOutOfOrder }

// SeedError says which seed failed; its work and ledger row were rolled back.
type SeedError struct {
	Name string
	Err  error
}

func (e *SeedError) Error() string {
	return fmt.Sprintf("seed: apply %s (rolled back, nothing recorded): %v", e.Name, e.Err)
}

func (e *SeedError) Unwrap() error { return e.Err }
