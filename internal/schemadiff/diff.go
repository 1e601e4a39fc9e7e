package schemadiff

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/schema"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	entschema "entgo.io/ent/dialect/sql/schema"

	centralmigrate "github.com/central/central/internal/migrate"
)

// versionFormat is atlas's version layout (UTC timestamp).
const versionFormat = "20060102150405"

// Option configures Compute and Diff.
type Option func(*config) error

type config struct {
	allowDestructive bool
	now              func() time.Time
	// rls maps each tenant-owned table to its desired policy; nil without
	// RowSecurity. rlsTables holds every table of the schema.
	rls       map[string]rlsPolicy
	rlsTables map[string]bool
}

// AllowDestructive lets the diff write destructive changes (dropped
// columns or indexes, narrowing type changes) instead of refusing them.
func AllowDestructive(allow bool) Option {
	return func(c *config) error {
		c.allowDestructive = allow
		return nil
	}
}

// WithClock sets the clock that versions new files (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("schemadiff: WithClock: nil clock")
		}
		c.now = now
		return nil
	}
}

// File is a migration file to write.
type File struct {
	Name    string // <version>_<name>.sql
	Content []byte
}

// Plan is what the directory lacks to match the schema: zero files when
// they agree, else one file, or two when enum values are added (a value
// added by ALTER TYPE cannot be used in the same transaction, so it gets its
// own file, applied and committed first).
type Plan struct {
	Files []File
}

// Empty reports whether the schema and the directory agree.
func (p *Plan) Empty() bool { return len(p.Files) == 0 }

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)

// Compute replays the directory in fsys on a scratch database of the dev
// server at devURL and returns the migration(s) that bring it to tables
// (usually ent/migrate.Tables). It writes nothing anywhere but on scratch
// databases, which it drops.
func Compute(ctx context.Context, devURL string, fsys fs.FS, tables []*entschema.Table, name string, opts ...Option) (*Plan, error) {
	cfg := &config{now: time.Now}
	for _, opt := range opts {
		if err := opt(cfg); err != nil {
			return nil, err
		}
	}
	if !nameRE.MatchString(name) {
		return nil, fmt.Errorf("schemadiff: migration name %q: use lower-case letters, digits and underscores, e.g. add_user_email", name)
	}
	if len(tables) == 0 {
		return nil, errors.New("schemadiff: no tables given: pass the generated ent/migrate.Tables")
	}
	// The directory must match atlas.sum before anything is planned on it.
	dir, err := centralmigrate.LoadDir(fsys)
	if err != nil {
		return nil, fmt.Errorf("schemadiff: %w", err)
	}
	desired, err := desiredEnums(tables)
	if err != nil {
		return nil, err
	}
	admin, err := openAdmin(ctx, devURL)
	if err != nil {
		return nil, err
	}
	defer admin.Close()

	// 1. The enum types the directory creates.
	current, rlsChanges, err := readReplayed(ctx, admin, devURL, dir, cfg)
	if err != nil {
		return nil, err
	}
	added, altered, err := enumChanges(desired, current)
	if err != nil {
		return nil, err
	}

	// 2. ent's replay diff on a second clean database, where the new enum
	// types already exist so that atlas can normalize the desired tables.
	s, err := newScratch(ctx, admin, devURL)
	if err != nil {
		return nil, err
	}
	defer s.drop()
	drv, err := postgres.Open(s.db)
	if err != nil {
		return nil, fmt.Errorf("open atlas driver on scratch database: %w", err)
	}
	addPlan, err := planChanges(ctx, drv, name, added)
	if err != nil {
		return nil, fmt.Errorf("plan new enum types: %w", err)
	}
	for _, c := range addPlan {
		if _, err := s.db.ExecContext(ctx, c.Cmd); err != nil {
			return nil, fmt.Errorf("create enum type on scratch database: %s: %w", c.Cmd, err)
		}
	}
	alterPlan, err := planChanges(ctx, drv, name, altered)
	if err != nil {
		return nil, fmt.Errorf("plan enum values: %w", err)
	}
	entChanges, desiredSchema, err := entDiff(ctx, s, dir, tables, name)
	if err != nil {
		return nil, err
	}

	// 3. Compose, lint, version.
	var plans []*migrate.Plan
	switch rest := append(append(addPlan, entChanges...), rlsChanges...); {
	case len(alterPlan) > 0 && len(rest) > 0:
		plans = []*migrate.Plan{{Name: name + "_enum_values", Changes: alterPlan}, {Name: name, Changes: rest}}
	case len(alterPlan) > 0:
		plans = []*migrate.Plan{{Name: name, Changes: alterPlan}}
	case len(rest) > 0:
		plans = []*migrate.Plan{{Name: name, Changes: rest}}
	default:
		return &Plan{}, nil
	}
	var findings []Finding
	for _, p := range plans {
		f, err := lint(ctx, p)
		if err != nil {
			return nil, err
		}
		findings = append(findings, f...)
	}
	if len(findings) > 0 && !cfg.allowDestructive {
		return nil, &DestructiveError{Findings: findings}
	}
	files, err := dir.Files()
	if err != nil {
		return nil, fmt.Errorf("list migration files: %w", err)
	}
	version, err := nextVersion(cfg.now(), files)
	if err != nil {
		return nil, err
	}
	out := &Plan{}
	for _, p := range plans {
		p.Version = version.Format(versionFormat)
		version = version.Add(time.Second)
		f, err := migrate.DefaultFormatter.FormatFile(p)
		if err != nil {
			return nil, fmt.Errorf("format migration: %w", err)
		}
		out.Files = append(out.Files, File{Name: f.Name(), Content: f.Bytes()})
	}
	if desiredSchema != nil {
		if err := verifyConverges(ctx, admin, devURL, dir, out.Files, desiredSchema); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Result is what Diff wrote.
type Result struct {
	Written []string // paths of the new files, in apply order; empty when nothing changed
}

// String is a one-line summary for a CLI.
func (r *Result) String() string {
	if len(r.Written) == 0 {
		return "no changes: the ent schema and the migration directory agree; nothing written"
	}
	return "wrote " + strings.Join(r.Written, ", ") + " and updated atlas.sum"
}

// Diff runs Compute on the directory at dirPath and writes the new files
// there, then rewrites atlas.sum. When the schema and the directory agree
// it writes nothing and returns an empty Result.
func Diff(ctx context.Context, devURL, dirPath string, tables []*entschema.Table, name string, opts ...Option) (*Result, error) {
	if fi, err := os.Stat(dirPath); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("schemadiff: migration directory %q not found: create it or run from the repository root", dirPath)
	}
	plan, err := Compute(ctx, devURL, os.DirFS(dirPath), tables, name, opts...)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for _, f := range plan.Files {
		p := filepath.Join(dirPath, f.Name)
		// O_EXCL: a concurrent diff that picked the same version fails
		// instead of overwriting.
		fh, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return res, fmt.Errorf("write migration: %w", err)
		}
		_, err = fh.Write(f.Content)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return res, fmt.Errorf("write migration %s: %w", p, err)
		}
		res.Written = append(res.Written, p)
	}
	if len(res.Written) > 0 {
		if err := Rehash(dirPath); err != nil {
			return res, err
		}
	}
	return res, nil
}

// Rehash rewrites atlas.sum of the directory at dirPath (the atlas CLI's
// `migrate hash`), for after an intended edit of an unapplied file.
func Rehash(dirPath string) error {
	ld, err := migrate.NewLocalDir(dirPath)
	if err != nil {
		return fmt.Errorf("open migration directory: %w", err)
	}
	sum, err := ld.Checksum()
	if err != nil {
		return fmt.Errorf("hash migration directory: %w", err)
	}
	if err := migrate.WriteSumFile(ld, sum); err != nil {
		return fmt.Errorf("write atlas.sum: %w", err)
	}
	return nil
}

// nextVersion is now, or one second past the latest existing version, so
// that two diffs within one second get distinct, ordered versions.
func nextVersion(now time.Time, files []migrate.File) (time.Time, error) {
	v := now.UTC().Truncate(time.Second)
	if len(files) == 0 {
		return v, nil
	}
	latest := files[len(files)-1].Version()
	lt, err := time.Parse(versionFormat, latest)
	if err != nil {
		if v.Format(versionFormat) > latest {
			return v, nil
		}
		return time.Time{}, fmt.Errorf("schemadiff: latest version %q is not a %s timestamp and sorts after now: rename it", latest, versionFormat)
	}
	if !v.After(lt) {
		v = lt.Add(time.Second)
	}
	return v, nil
}

// readReplayed applies the directory to a scratch database and reads the
// enum types it created, and plans the row-level security changes from it
// (rowsecurity.go).
func readReplayed(ctx context.Context, admin *sql.DB, devURL string, dir migrate.Dir, cfg *config) (map[string]enum, []*migrate.Change, error) {
	s, err := newScratch(ctx, admin, devURL)
	if err != nil {
		return nil, nil, err
	}
	defer s.drop()
	if _, err := replay(ctx, s, dir); err != nil {
		return nil, nil, err
	}
	enums, err := currentEnums(ctx, s.db)
	if err != nil {
		return nil, nil, err
	}
	rls, err := rowSecurityChanges(ctx, s.db, cfg)
	if err != nil {
		return nil, nil, err
	}
	return enums, rls, nil
}

// entDiff runs ent's replay-mode diff on the scratch database and returns
// the changes of its plan (captured by a formatter instead of written) and
// the desired schema in PostgreSQL's normal form (captured by a diff hook;
// nil when ent did not diff).
//
// The diff runs in atlas's normalized mode (schema.DiffNormalized), as
// `atlas migrate diff` with a dev database does: both sides have been
// through PostgreSQL (the directory replayed, the ent tables created on the
// dev database and inspected), so CHECK expressions are compared as
// PostgreSQL prints them. Without it atlas matches CHECKs by name only and
// an edited expression goes unnoticed.
func entDiff(ctx context.Context, s *scratch, dir *migrate.MemDir, tables []*entschema.Table, name string) ([]*migrate.Change, *schema.Schema, error) {
	var (
		captured *migrate.Plan
		desired  *schema.Schema
	)
	captureDesired := func(next entschema.Differ) entschema.Differ {
		return entschema.DiffFunc(func(current, want *schema.Schema) ([]schema.Change, error) {
			desired = want
			return next.Diff(current, want)
		})
	}
	capture := formatterFunc(func(p *migrate.Plan) ([]migrate.File, error) {
		captured = p
		return nil, nil
	})
	// ent rewrites atlas.sum of the dir it is given: give it a copy.
	work, err := copyDir(dir)
	if err != nil {
		return nil, nil, err
	}
	m, err := entschema.NewMigrate(entsql.OpenDB(dialect.Postgres, s.db),
		entschema.WithDir(work),
		entschema.WithMigrationMode(entschema.ModeReplay),
		entschema.WithFormatter(capture),
		entschema.WithDialect(dialect.Postgres),
		entschema.WithDropColumn(true),
		entschema.WithDropIndex(true),
		entschema.WithDiffOptions(schema.DiffNormalized()),
		entschema.WithDiffHook(captureDesired),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("create ent migrate: %w", err)
	}
	if err := m.NamedDiff(ctx, name, tables...); err != nil {
		return nil, nil, fmt.Errorf("ent diff: %w", err)
	}
	if captured == nil {
		return nil, desired, nil
	}
	return captured.Changes, desired, nil
}

// verifyConverges replays the directory plus the planned files on a
// scratch database and diffs the result against the desired schema again.
// A change that is still there is one PostgreSQL does not store as written
// (e.g. a CHECK whose printed form is not its own normal form: BETWEEN
// inside AND prints as a nested AND that PostgreSQL flattens when the
// migration is applied). Writing it would make every later diff, ours and
// `atlas migrate diff`, plan it again, so it is refused with an
// *UnstableError naming the form to write instead.
func verifyConverges(ctx context.Context, admin *sql.DB, devURL string, dir *migrate.MemDir, planned []File, desired *schema.Schema) error {
	work, err := copyDir(dir)
	if err != nil {
		return err
	}
	for _, f := range planned {
		if err := work.WriteFile(f.Name, f.Content); err != nil {
			return fmt.Errorf("stage planned migration: %w", err)
		}
	}
	sum, err := work.Checksum()
	if err != nil {
		return fmt.Errorf("hash staged directory: %w", err)
	}
	if err := migrate.WriteSumFile(work, sum); err != nil {
		return fmt.Errorf("hash staged directory: %w", err)
	}
	s, err := newScratch(ctx, admin, devURL)
	if err != nil {
		return err
	}
	defer s.drop()
	drv, err := replay(ctx, s, work)
	if err != nil {
		return fmt.Errorf("with the planned migration: %w", err)
	}
	after, err := drv.InspectSchema(ctx, desired.Name, nil)
	if err != nil {
		return fmt.Errorf("inspect replayed schema: %w", err)
	}
	changes, err := drv.SchemaDiff(after, desired, schema.DiffNormalized())
	if err != nil {
		return fmt.Errorf("diff replayed schema: %w", err)
	}
	ue := &UnstableError{}
	for _, c := range changes {
		switch c := c.(type) {
		case *schema.AddTable: // ent plans only table additions and modifications
			ue.Changes = append(ue.Changes, "table "+c.T.Name+" is still missing")
		case *schema.ModifyTable:
			for _, tc := range c.Changes {
				ue.Changes = append(ue.Changes, describeUnstable(c.T.Name, tc))
			}
		}
	}
	if len(ue.Changes) > 0 {
		return ue
	}
	return nil
}

// replay applies every file of dir to the scratch database and returns the
// atlas driver on it.
func replay(ctx context.Context, s *scratch, dir migrate.Dir) (migrate.Driver, error) {
	drv, err := postgres.Open(s.db)
	if err != nil {
		return nil, fmt.Errorf("open atlas driver on scratch database: %w", err)
	}
	ex, err := migrate.NewExecutor(drv, dir, migrate.NopRevisionReadWriter{})
	if err != nil {
		return nil, fmt.Errorf("create executor: %w", err)
	}
	if err := ex.ExecuteN(ctx, 0); err != nil && !errors.Is(err, migrate.ErrNoPendingFiles) {
		return nil, fmt.Errorf("replay migration directory: %w", err)
	}
	return drv, nil
}

// copyDir copies dir into a new in-memory directory that a step may add
// files to without touching dir.
func copyDir(dir migrate.Dir) (*migrate.MemDir, error) {
	files, err := dir.Files()
	if err != nil {
		return nil, err
	}
	work := &migrate.MemDir{}
	if err := work.CopyFiles(files); err != nil {
		return nil, fmt.Errorf("copy migration directory: %w", err)
	}
	return work, nil
}

// describeUnstable says what did not converge, and for a CHECK the form to
// write in ent/schema instead.
func describeUnstable(table string, c schema.Change) string {
	if mc, ok := c.(*schema.ModifyCheck); ok {
		return fmt.Sprintf("table %s, CHECK %s: the schema's expression normalizes to\n      %s\n    but PostgreSQL stores that, once applied, as\n      %s\n    write the CHECK in ent/schema in that stored form (for example without BETWEEN inside AND)",
			table, mc.To.Name, mc.To.Expr, mc.From.Expr)
	}
	return fmt.Sprintf("table %s: %T", table, c)
}

func planChanges(ctx context.Context, drv migrate.Driver, name string, changes []schema.Change) ([]*migrate.Change, error) {
	if len(changes) == 0 {
		return nil, nil
	}
	p, err := drv.PlanChanges(ctx, name, changes)
	if err != nil {
		return nil, err
	}
	return p.Changes, nil
}

type formatterFunc func(*migrate.Plan) ([]migrate.File, error)

func (f formatterFunc) Format(p *migrate.Plan) ([]migrate.File, error) { return f(p) }
