package migrate

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrDirTampered is matched (errors.Is) by every *DirError: the directory
	// and its atlas.sum disagree, so nothing was run.
	ErrDirTampered = errors.New("migrate: migration directory does not match atlas.sum")
	// ErrAppliedFileChanged is matched by every *ChangedError: a migration
	// that the database already applied has different content now.
	ErrAppliedFileChanged = errors.New("migrate: applied migration file changed")
	// ErrDatabaseNewer is returned (wrapped) by Up when the database has
	// applied a version the directory does not contain: it was migrated by a
	// newer binary, or a file was removed from the directory.
	ErrDatabaseNewer = errors.New("migrate: database is newer than this binary")
	// ErrOutOfOrder is returned (wrapped) by Up when an unapplied file sorts
	// before the latest applied version (added out of order, e.g. after a
	// merge); rename it to a version after the latest one.
	ErrOutOfOrder = errors.New("migrate: migration file added out of order")
	// ErrNotClean is returned (wrapped) by Up when a database without
	// revisions already has tables; see WithBaseline.
	ErrNotClean = errors.New("migrate: database not clean")
	// ErrLockTimeout is returned (wrapped) by Up when another migrator held
	// the migration lock for longer than the lock timeout.
	ErrLockTimeout = errors.New("migrate: timed out waiting for the migration lock")
)

// DirError reports a directory that fails atlas.sum verification. File is
// empty when the problem is atlas.sum itself (missing or corrupt).
type DirError struct {
	File   string // migration file that was added, edited or removed
	Reason string // "added", "edited", "removed", "atlas.sum missing", "atlas.sum corrupt"
	Err    error  // underlying atlas error
}

func (e *DirError) Error() string {
	switch e.Reason {
	case "added":
		return fmt.Sprintf("migrate: %s was added without updating atlas.sum: write migrations with the diff command (it rewrites atlas.sum), or rehash the directory", e.File)
	case "edited":
		return fmt.Sprintf("migrate: %s was edited after atlas.sum was written: restore it, or, if it was never applied anywhere, rehash the directory", e.File)
	case "removed":
		return fmt.Sprintf("migrate: %s is listed in atlas.sum but missing from the directory: restore it", e.File)
	default:
		return fmt.Sprintf("migrate: %s: %v", e.Reason, e.Err)
	}
}

// Is reports ErrDirTampered.
func (e *DirError) Is(target error) bool { return target == ErrDirTampered }

// Unwrap returns the underlying atlas error.
func (e *DirError) Unwrap() error { return e.Err }

// ChangedError reports an already-applied migration whose file content
// differs from what the database recorded when applying it (atlas itself
// does not check this: ariga/atlas#2243).
type ChangedError struct {
	File    string // file name in the directory
	Version string // applied version
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("migrate: %s was changed after version %s was applied to this database: applied migrations are immutable, revert the edit and add a new migration instead", e.File, e.Version)
}

// Is reports ErrAppliedFileChanged.
func (e *ChangedError) Is(target error) bool { return target == ErrAppliedFileChanged }

// ApplyError reports a failed statement. For a file run in a transaction (the
// default) the transaction was rolled back and nothing of it was recorded, so
// the next run retries the whole file; for a "-- atlas:txmode none" file the
// statements before the failing one stay applied and are recorded, and the
// next run resumes at the failing statement.
type ApplyError struct {
	File      string // migration file name
	Line      int    // 1-based line of the statement in File
	Statement string // the failing statement
	Err       error  // database error (a *pgconn.PgError with pgx)
}

func (e *ApplyError) Error() string {
	return fmt.Sprintf("migrate: apply %s (line %d): statement %q: %v", e.File, e.Line, abbreviate(e.Statement), e.Err)
}

// Unwrap returns the database error.
func (e *ApplyError) Unwrap() error { return e.Err }

func abbreviate(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
