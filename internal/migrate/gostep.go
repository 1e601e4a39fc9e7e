package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"ariga.io/atlas/sql/migrate"
)

// GoStep is a Go data migration: code that runs after the SQL file of its
// version, in version order with the SQL files (so it sees the schema of
// its version, and the next file's SQL sees its data), exactly once, under
// the migration lock, recorded in the Go-step ledger (see GoStepsTable).
// The atlas CLI sees only the SQL files: a Go step never changes the
// directory or its atlas.sum.
//
// Exactly one of Run and Batch is set.
type GoStep struct {
	// Version is the version of the SQL file the step follows, e.g.
	// "20261201010516". That file must exist in the directory.
	Version string
	// Name says what the step does, lower_snake_case, e.g.
	// "backfill_profile_locale".
	Name string
	// Run does the whole step in one transaction, carried by the ctx it
	// receives (the app's services called with that ctx join it); the
	// ledger row is written in the same transaction. An error or a panic
	// rolls everything back; the next run retries the step.
	Run func(ctx context.Context) error
	// Batch does one batch of a long step, resuming after cursor ("" the
	// first time), in a transaction of its own that also stores the
	// returned cursor: a failure or a crash loses only the batch in
	// flight, and the next run resumes from the last committed cursor.
	// It returns done when nothing is left; rows (what the batch changed)
	// only feeds the progress lines.
	Batch func(ctx context.Context, cursor string) (next string, rows int64, done bool, err error)
}

// StepTx runs fn in a new transaction: the ctx fn receives carries it (so
// the app's services join it) and q executes on it (the runner writes the
// ledger through q, so a step's work and its record commit together).
// internal/app passes one built on the app's *db.DB.
type StepTx func(ctx context.Context, fn func(ctx context.Context, q Querier) error) error

// Querier is what the runner needs of a step's transaction: it only writes
// the ledger row. (No QueryContext: a *sql.Rows cannot be read from the
// app's native pgx transactions, see internal/pgxdriver; the ledger is read
// on the migrator's own connection.)
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

var (
	// ErrGoStepNoSQL: a Go step names a version the directory has no SQL
	// file for (a typo, or the file was renamed to another version).
	ErrGoStepNoSQL = errors.New("migrate: Go step without its SQL migration")
	// ErrGoStepMissing: the ledger records a Go step this binary does not
	// have (a newer binary ran it, or it was deleted from the table).
	ErrGoStepMissing = errors.New("migrate: recorded Go step missing from this binary")
)

// GoStepError says which Go step failed; its transaction (or its batch in
// flight) was rolled back and nothing of it was recorded beyond the last
// committed batch. The next run retries it.
type GoStepError struct {
	Version, Name string
	Cursor        string // for a batched step: the committed cursor it will resume from
	Err           error
}

func (e *GoStepError) Error() string {
	if e.Cursor != "" {
		return fmt.Sprintf("migrate: Go step %s_%s failed (rolled back to cursor %q, where the next run resumes): %v", e.Version, e.Name, e.Cursor, e.Err)
	}
	return fmt.Sprintf("migrate: Go step %s_%s failed (rolled back, nothing recorded; the next run retries it): %v", e.Version, e.Name, e.Err)
}

func (e *GoStepError) Unwrap() error { return e.Err }

var stepNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)

// WithGoSteps registers the app's Go steps (one explicit table, e.g.
// gosteps.Steps bound to the app's services) and how their transactions
// are opened. Without it a Migrator runs SQL only and ignores the ledger.
// The steps are checked here (names, one of Run and Batch, one step per
// version) and against the directory when Up or Status runs.
func WithGoSteps(tx StepTx, steps []GoStep) Option {
	return func(m *Migrator) error {
		if tx == nil {
			return errors.New("migrate: WithGoSteps: nil StepTx: pass one that opens a transaction on the app's database")
		}
		var problems []string
		seen := map[string]bool{}
		for _, s := range steps {
			id := s.Version + "_" + s.Name
			switch {
			case s.Version == "" || strings.ContainsFunc(s.Version, func(r rune) bool { return r < '0' || r > '9' }):
				problems = append(problems, fmt.Sprintf("%s: version %q is not the digits of a migration version", id, s.Version))
			case !stepNameRE.MatchString(s.Name):
				problems = append(problems, fmt.Sprintf("%s: name %q: use lower-case letters, digits and underscores", id, s.Name))
			case (s.Run == nil) == (s.Batch == nil):
				problems = append(problems, id+": set exactly one of Run and Batch")
			case seen[s.Version]:
				problems = append(problems, id+": another step has version "+s.Version+": one Go step per version (put both jobs in one function)")
			}
			seen[s.Version] = true
		}
		if len(problems) > 0 {
			return errors.New("migrate: WithGoSteps: " + strings.Join(problems, "; "))
		}
		m.stepTx = tx
		m.steps = slices.Clone(steps)
		slices.SortFunc(m.steps, func(a, b GoStep) int { return strings.Compare(a.Version, b.Version) })
		return nil
	}
}

// stepPlan is what a run of Up knows of the Go steps.
type stepPlan struct {
	rows    map[string]*stepRow // by version
	pending []GoStep            // not done, in version order
	ensured bool                // the ledger table exists
}

// planSteps checks the binary's steps against the directory's versions and
// the ledger, and lists the steps still to run.
func (m *Migrator) planSteps(files []string, rows []*stepRow) (*stepPlan, error) {
	versions := map[string]bool{}
	for _, v := range files {
		versions[v] = true
	}
	p := &stepPlan{rows: map[string]*stepRow{}}
	inBinary := map[string]bool{}
	var errs []error
	for _, s := range m.steps {
		inBinary[s.Version] = true
		if !versions[s.Version] {
			errs = append(errs, fmt.Errorf("%w: step %s_%s follows version %s, which has no SQL file in the directory: give the step the version of the SQL file it follows",
				ErrGoStepNoSQL, s.Version, s.Name, s.Version))
		}
	}
	var missing []string
	for _, r := range rows {
		p.rows[r.Version] = r
		if !inBinary[r.Version] {
			missing = append(missing, r.Version+"_"+r.Name)
		}
	}
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("%w: the database records %s; deploy a binary that has it (a step is never removed from the table once released)",
			ErrGoStepMissing, strings.Join(missing, ", ")))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, s := range m.steps {
		if r := p.rows[s.Version]; r == nil || !r.Done {
			p.pending = append(p.pending, s)
		}
	}
	return p, nil
}

func versionsOf(files []migrate.File) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Version()
	}
	return out
}
