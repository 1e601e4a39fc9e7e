package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"time"

	"ariga.io/atlas/sql/migrate"
)

// Report is the state of a database against a migration directory.
type Report struct {
	Current string     // latest fully applied version ("" when none)
	Applied []Revision // revisions whose file is in the directory, oldest first
	Pending []File     // files not (fully) applied yet, in apply order
	Unknown []Revision // applied versions the directory does not contain (database newer)
	Changed []string   // applied files whose content changed since they were applied
	Problem error      // what Up would refuse with (nil when Up may proceed)
}

// Revision is one row of the revisions table.
type Revision struct {
	Version         string
	Description     string
	Type            string        // "applied", "baseline", "manually set", ...
	AppliedAt       time.Time     // executed_at
	Duration        time.Duration // execution_time
	Statements      int           // statements applied
	Total           int           // statements in the file
	Error           string        // set when a txmode-none file failed part-way
	ErrorStatement  string
	OperatorVersion string
}

// File is a migration file of the directory.
type File struct {
	Name        string
	Version     string
	Description string
}

// Status reports applied and pending migrations with New(db, fsys, opts...).Status(ctx).
func Status(ctx context.Context, db *sql.DB, fsys fs.FS, opts ...Option) (*Report, error) {
	m, err := New(db, fsys, opts...)
	if err != nil {
		return nil, err
	}
	return m.Status(ctx)
}

// Status reads the revisions (without locking) and compares them with the
// directory. A directory that fails atlas.sum verification is an error;
// problems between the directory and the database are reported in
// Report.Problem so that they can be shown next to the rest.
func (m *Migrator) Status(ctx context.Context) (*Report, error) {
	dir, err := loadFrozen(m.fsys)
	if err != nil {
		return nil, err
	}
	revs, err := (&revisions{q: m.db, schema: m.schema}).ReadRevisions(ctx)
	if err != nil {
		return nil, err
	}
	a, err := analyze(dir, revs)
	if err != nil {
		return nil, err
	}
	r := &Report{Current: currentVersion(revs), Problem: a.err()}
	for _, rev := range a.applied {
		r.Applied = append(r.Applied, toRevision(rev))
	}
	for _, rev := range a.unknown {
		r.Unknown = append(r.Unknown, toRevision(rev))
	}
	for _, c := range a.changed {
		r.Changed = append(r.Changed, c.File)
	}
	for _, f := range a.pending {
		r.Pending = append(r.Pending, File{Name: f.Name(), Version: f.Version(), Description: f.Desc()})
	}
	return r, nil
}

func toRevision(r *migrate.Revision) Revision {
	return Revision{
		Version:         r.Version,
		Description:     r.Description,
		Type:            r.Type.String(),
		AppliedAt:       r.ExecutedAt,
		Duration:        r.ExecutionTime,
		Statements:      r.Applied,
		Total:           r.Total,
		Error:           r.Error,
		ErrorStatement:  r.ErrorStmt,
		OperatorVersion: r.OperatorVersion,
	}
}

// String renders the report for a terminal.
func (r *Report) String() string {
	s := fmt.Sprintf("current version: %s\n", or(r.Current, "(none)"))
	for _, a := range r.Applied {
		state := "applied"
		if a.Statements < a.Total {
			state = fmt.Sprintf("PARTIAL %d/%d: %s", a.Statements, a.Total, a.Error)
		}
		s += fmt.Sprintf("  %s_%s  %s  %s  %s\n", a.Version, a.Description, state,
			a.AppliedAt.UTC().Format(time.RFC3339), a.Duration.Round(time.Millisecond))
	}
	for _, u := range r.Unknown {
		s += fmt.Sprintf("  %s_%s  applied, NOT IN THIS BINARY  %s\n", u.Version, u.Description, u.AppliedAt.UTC().Format(time.RFC3339))
	}
	for _, p := range r.Pending {
		s += fmt.Sprintf("  %s  pending\n", p.Name)
	}
	for _, c := range r.Changed {
		s += fmt.Sprintf("  %s  CHANGED AFTER APPLY\n", c)
	}
	if r.Problem != nil {
		s += "problem: " + r.Problem.Error() + "\n"
	}
	return s
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
