package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	"go.uber.org/zap"
)

// DefaultLockTimeout bounds the wait for another migrator's lock.
const DefaultLockTimeout = 5 * time.Minute

// DefaultOperatorVersion is stored in each revision's operator_version.
const DefaultOperatorVersion = "central/internal/migrate"

// Migrator applies an Atlas migration directory to one PostgreSQL database.
type Migrator struct {
	db          *sql.DB
	fsys        fs.FS
	lockTimeout time.Duration
	schema      string
	operator    string
	out         io.Writer
	log         *zap.Logger
	baseline    string
}

// Option configures a Migrator.
type Option func(*Migrator) error

// WithLockTimeout bounds the wait for the migration lock (default
// DefaultLockTimeout). It must be positive.
func WithLockTimeout(d time.Duration) Option {
	return func(m *Migrator) error {
		if d <= 0 {
			return fmt.Errorf("migrate: lock timeout must be positive, got %s", d)
		}
		m.lockTimeout = d
		return nil
	}
}

// WithProgress writes one human-readable line per applied file to w
// (for a CLI; nil disables).
func WithProgress(w io.Writer) Option {
	return func(m *Migrator) error {
		m.out = w
		return nil
	}
}

// WithLogger logs applied files and lock waits to log.
func WithLogger(log *zap.Logger) Option {
	return func(m *Migrator) error {
		if log == nil {
			return errors.New("migrate: WithLogger: nil logger")
		}
		m.log = log
		return nil
	}
}

// WithRevisionsSchema stores revisions in schema instead of
// DefaultRevisionsSchema (the atlas CLI's --revisions-schema).
func WithRevisionsSchema(schema string) Option {
	return func(m *Migrator) error {
		if schema == "" {
			return errors.New("migrate: WithRevisionsSchema: empty schema name")
		}
		m.schema = schema
		return nil
	}
}

// WithOperatorVersion sets the operator_version stored with each revision.
func WithOperatorVersion(v string) Option {
	return func(m *Migrator) error {
		m.operator = v
		return nil
	}
}

// WithBaseline adopts a database whose schema predates the revisions table:
// on its first run, versions up to and including version are recorded as a
// baseline instead of applied (the atlas CLI's --baseline). Without it, a
// non-empty database with no revisions is refused.
func WithBaseline(version string) Option {
	return func(m *Migrator) error {
		if version == "" {
			return errors.New("migrate: WithBaseline: empty version")
		}
		m.baseline = version
		return nil
	}
}

// New returns a Migrator for the Atlas directory at the root of fsys
// (<version>_<name>.sql files and atlas.sum, e.g. an embed.FS) and the
// database db (a pgx stdlib pool).
func New(db *sql.DB, fsys fs.FS, opts ...Option) (*Migrator, error) {
	if db == nil {
		return nil, errors.New("migrate: New: nil *sql.DB")
	}
	if fsys == nil {
		return nil, errors.New("migrate: New: nil fs.FS: pass the migrations directory (e.g. migrations.FS)")
	}
	m := &Migrator{
		db:          db,
		fsys:        fsys,
		lockTimeout: DefaultLockTimeout,
		schema:      DefaultRevisionsSchema,
		operator:    DefaultOperatorVersion,
		log:         zap.NewNop(),
	}
	for _, opt := range opts {
		if err := opt(m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Up applies the pending files with New(db, fsys, opts...).Up(ctx).
func Up(ctx context.Context, db *sql.DB, fsys fs.FS, opts ...Option) (*Result, error) {
	m, err := New(db, fsys, opts...)
	if err != nil {
		return nil, err
	}
	return m.Up(ctx)
}

// Result describes what one Up call did.
type Result struct {
	Applied  []AppliedFile // files applied by this call, in order
	Version  string        // database version afterwards ("" for an empty directory)
	Locked   bool          // whether the call took the migration lock (only when something was pending)
	LockWait time.Duration // time spent waiting for the lock
}

// AppliedFile is one file applied by Up.
type AppliedFile struct {
	Name        string
	Version     string
	Description string
	Statements  int
	Duration    time.Duration
}

// UpDetached runs Up on a context that keeps ctx's values but not its
// cancellation or deadline, bounded by timeout instead (no bound when
// timeout <= 0). Use it from an fx OnStart hook, whose context expires with
// fx's start timeout: a long migration then runs to its own limit.
func (m *Migrator) UpDetached(ctx context.Context, timeout time.Duration) (*Result, error) {
	ctx = context.WithoutCancel(ctx)
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return m.Up(ctx)
}

// Up verifies the directory against atlas.sum and the database's revisions,
// then applies the pending files, each in its own transaction, under a
// session advisory lock. When nothing is pending it returns without locking.
func (m *Migrator) Up(ctx context.Context) (*Result, error) {
	dir, err := loadFrozen(m.fsys)
	if err != nil {
		return nil, err
	}
	// Lock-free check: the common boot finds nothing pending.
	rrw := &revisions{q: m.db, schema: m.schema}
	revs, err := rrw.ReadRevisions(ctx)
	if err != nil {
		return nil, err
	}
	a, err := analyze(dir, revs)
	if err != nil {
		return nil, err
	}
	if err := a.err(); err != nil {
		return nil, err
	}
	if len(a.pending) == 0 {
		return &Result{Version: currentVersion(revs)}, nil
	}
	return m.upLocked(ctx, dir)
}

func (m *Migrator) upLocked(ctx context.Context, dir migrate.Dir) (res *Result, err error) {
	res = &Result{Locked: true}
	start := time.Now()
	lock, err := acquireLock(ctx, m.db, m.lockTimeout)
	if err != nil {
		return nil, err
	}
	defer func() {
		if rerr := lock.Release(); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}()
	res.LockWait = time.Since(start)
	m.log.Debug("migration lock acquired", zap.Duration("wait", res.LockWait))
	conn := lock.Conn

	// Re-check under the lock: another instance may have applied everything.
	rrw := &revisions{q: conn, schema: m.schema}
	revs, err := rrw.ReadRevisions(ctx)
	if err != nil {
		return nil, err
	}
	a, err := analyze(dir, revs)
	if err != nil {
		return nil, err
	}
	if err := a.err(); err != nil {
		return nil, err
	}
	if len(a.pending) == 0 {
		res.Version = currentVersion(revs)
		return res, nil
	}
	if err := rrw.ensure(ctx); err != nil {
		return nil, err
	}
	drv, err := postgres.Open(conn)
	if err != nil {
		return nil, fmt.Errorf("open atlas driver: %w", err)
	}
	exOpts := []migrate.ExecutorOption{migrate.WithOperatorVersion(m.operator)}
	if m.baseline != "" && len(revs) == 0 {
		exOpts = append(exOpts, migrate.WithBaselineVersion(m.baseline))
	}
	ex, err := migrate.NewExecutor(drv, dir, rrw, exOpts...)
	if err != nil {
		return nil, fmt.Errorf("create executor: %w", err)
	}
	// Atlas decides what is pending exactly as the CLI would (checkpoints,
	// partially applied files, a clean database on first run).
	pending, err := ex.Pending(ctx)
	var nce *migrate.NotCleanError
	switch {
	case errors.Is(err, migrate.ErrNoPendingFiles):
		revs, err = rrw.ReadRevisions(ctx) // a baseline may have been written
		if err != nil {
			return nil, err
		}
		res.Version = currentVersion(revs)
		return res, nil
	case errors.As(err, &nce):
		return nil, fmt.Errorf("%w: the database has no migration revisions but is not empty (%s): migrate an empty database, or adopt this one with WithBaseline(<version its schema matches>)", ErrNotClean, nce.Reason)
	case err != nil:
		return nil, fmt.Errorf("compute pending migrations: %w", err)
	}
	m.progress("migrating to %s: %d file(s) pending", pending[len(pending)-1].Version(), len(pending))
	for _, f := range pending {
		af, err := m.applyFile(ctx, conn, dir, f)
		if err != nil {
			m.progress("  %s: FAILED: %v", f.Name(), err)
			m.log.Error("migration failed", zap.String("file", f.Name()), zap.Error(err))
			return res, err
		}
		res.Applied = append(res.Applied, *af)
		res.Version = af.Version
		m.progress("  %s: ok (%d statements, %s)", af.Name, af.Statements, af.Duration.Round(time.Millisecond))
		m.log.Info("migration applied", zap.String("file", af.Name),
			zap.Int("statements", af.Statements), zap.Duration("duration", af.Duration))
	}
	return res, nil
}

// applyFile runs one file through atlas's Executor inside its own
// transaction (the revision is written in it too, as the atlas CLI does in
// its default --tx-mode file), unless the file opts out with the CLI's
// "-- atlas:txmode none" directive.
func (m *Migrator) applyFile(ctx context.Context, conn *sql.Conn, dir migrate.Dir, f migrate.File) (*AppliedFile, error) {
	start := time.Now()
	noTx, err := txModeNone(f)
	if err != nil {
		return nil, err
	}
	var (
		q  execQuerier = conn
		tx *sql.Tx
	)
	if !noTx {
		if tx, err = conn.BeginTx(ctx, nil); err != nil {
			return nil, fmt.Errorf("begin transaction for %s: %w", f.Name(), err)
		}
		defer tx.Rollback() //nolint:errcheck // no-op after commit
		q = tx
	}
	drv, err := postgres.Open(q)
	if err != nil {
		return nil, fmt.Errorf("open atlas driver: %w", err)
	}
	counter := &stmtCounter{}
	ex, err := migrate.NewExecutor(drv, dir, &revisions{q: q, schema: m.schema},
		migrate.WithOperatorVersion(m.operator), migrate.WithLogger(counter))
	if err != nil {
		return nil, fmt.Errorf("create executor: %w", err)
	}
	if err := ex.Execute(ctx, f); err != nil {
		var se *migrate.StmtExecError
		if errors.As(err, &se) {
			return nil, &ApplyError{File: f.Name(), Line: lineOf(f.Bytes(), se.Stmt.Pos), Statement: se.Stmt.Text,
				Err: errors.Join(append([]error{se.Err}, besides(err, se)...)...)}
		}
		return nil, fmt.Errorf("apply %s: %w", f.Name(), err)
	}
	if tx != nil {
		if err := tx.Commit(); err != nil {
			return nil, fmt.Errorf("commit %s: %w", f.Name(), err)
		}
	}
	return &AppliedFile{Name: f.Name(), Version: f.Version(), Description: f.Desc(),
		Statements: counter.n, Duration: time.Since(start)}, nil
}

// besides returns the errors atlas joined to the statement error se, such as
// a failure to record a txmode-none file's partial progress, which the next
// run must know about.
func besides(err error, se *migrate.StmtExecError) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return nil
	}
	var rest []error
	for _, e := range j.Unwrap() {
		if e != error(se) {
			rest = append(rest, fmt.Errorf("record the failure: %w", e))
		}
	}
	return rest
}

// txModeNone reports the atlas CLI's "-- atlas:txmode none" file directive.
func txModeNone(f migrate.File) (bool, error) {
	lf, ok := f.(*migrate.LocalFile)
	if !ok {
		return false, nil
	}
	switch ds := lf.Directive("txmode"); {
	case len(ds) == 0:
		return false, nil
	case len(ds) > 1:
		return false, fmt.Errorf("migrate: %s has %d txmode directives, want at most one", f.Name(), len(ds))
	case ds[0] == "none":
		return true, nil
	case ds[0] == "file":
		return false, nil
	default:
		return false, fmt.Errorf("migrate: %s: unknown txmode %q (want none or file)", f.Name(), ds[0])
	}
}

func (m *Migrator) progress(format string, args ...any) {
	if m.out != nil {
		fmt.Fprintf(m.out, format+"\n", args...)
	}
}

// stmtCounter counts executed statements via atlas's executor log.
type stmtCounter struct{ n int }

func (c *stmtCounter) Log(e migrate.LogEntry) {
	if _, ok := e.(migrate.LogStmt); ok {
		c.n++
	}
}

// lineOf returns the 1-based line at byte offset pos.
func lineOf(b []byte, pos int) int {
	if pos > len(b) {
		pos = len(b)
	}
	return strings.Count(string(b[:pos]), "\n") + 1
}
