package dbtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/central/central/internal/migrate"
	"github.com/central/central/migrations"
)

// DB is a fresh database for one test, dropped when the test ends.
type DB struct {
	// Name of the database.
	Name string
	// URL connects as the read-write owner role (central).
	URL string
	// ReadOnlyURL connects as the read-only role (central_ro).
	ReadOnlyURL string
	// AdminURL connects as the superuser.
	AdminURL string
}

// OpenDB opens a database/sql handle (pgx stdlib driver) on URL, closed when
// the test ends.
func (d *DB) OpenDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := openDB(d.URL)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Pool opens a pgx pool on URL, closed when the test ends.
func (d *DB) Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), d.URL)
	if err != nil {
		t.Fatalf("dbtest: open pool on %s: %v", d.Name, err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// Option changes what New prepares.
type Option func(*options)

type options struct {
	fsys  fs.FS
	apply ApplyFunc
	err   error
}

// WithMigrations migrates the template with apply(ctx, db, fsys), db being
// connected as the owner role. Templates are keyed by a SHA-256 of the
// files in fsys (names and contents), not by apply: one fsys, one apply.
func WithMigrations(fsys fs.FS, apply ApplyFunc) Option {
	return func(o *options) {
		switch {
		case fsys == nil:
			o.err = errors.New("dbtest: WithMigrations: fsys is nil; pass the migrations directory, e.g. migrations.FS")
		case apply == nil:
			o.err = errors.New("dbtest: WithMigrations: apply is nil; pass the function that applies the migrations")
		default:
			o.fsys, o.apply = fsys, apply
		}
	}
}

// Empty gives a database without the project's schema, for tests of the
// migration machinery itself (and of anything that wants a blank database).
func Empty() Option {
	return func(o *options) { o.fsys, o.apply = nil, nil }
}

// defaultTemplate is the schema every database gets without an option: the
// project's migrations, applied by internal/migrate as the app applies them
// at boot.
func defaultTemplate() (fs.FS, ApplyFunc) { return migrations.FS, applyMigrations }

func applyMigrations(ctx context.Context, db *sql.DB, fsys fs.FS) error {
	if _, err := migrate.Up(ctx, db, fsys); err != nil {
		return fmt.Errorf("migrate template: %w", err)
	}
	return nil
}

func buildOptions(opts []Option) (options, error) {
	var o options
	o.fsys, o.apply = defaultTemplate()
	for _, opt := range opts {
		opt(&o)
	}
	return o, o.err
}

// New returns a fresh database for t, cloned from a template migrated once per
// set of migrations. It runs on the server of TEST_DATABASE_URL when set,
// otherwise on one embedded cluster per test binary (see Main).
func New(t testing.TB, opts ...Option) *DB {
	t.Helper()
	h, err := shared.harness()
	if err != nil {
		t.Fatal(err)
	}
	return h.New(t, opts...)
}

// New returns a fresh database for t on this Harness.
func (h *Harness) New(t testing.TB, opts ...Option) *DB {
	t.Helper()
	o, err := buildOptions(opts)
	if err != nil {
		t.Fatal(err)
	}
	db, err := h.create(t, o)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	if b, ok := t.(*testing.B); ok {
		h.durability.report(b)
	}
	return db
}

// Main runs the tests and then stops the clusters this test binary started.
// Every package that uses dbtest calls it from TestMain:
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
func Main(m *testing.M) {
	shared.mainCalled.Store(true)
	code := m.Run()
	if err := shared.close(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// resources are what this test binary shares between its tests, started on
// first use and stopped by Main.
type resources struct {
	mainCalled atomic.Bool
	durable    bool // DurableEnv
	keepFailed bool // KeepFailedEnv, for every harness below
	harness    func() (*Harness, error)
	pair       func() (*pairEnv, error)
	pooled     func() (*pooledEnv, error)

	mu      sync.Mutex
	closers []func(context.Context) error
}

// shared is per test binary by nature; its fields are set once here and
// only the sync types inside change.
var shared = newResources(os.Getenv)

func newResources(getenv func(string) string) *resources {
	r := &resources{durable: getenv(DurableEnv) == "1", keepFailed: getenv(KeepFailedEnv) == "1"}
	r.harness = sync.OnceValues(func() (*Harness, error) {
		if err := r.checkMain(); err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		var h *Harness
		var err error
		if u := getenv("TEST_DATABASE_URL"); u != "" {
			h, err = Connect(ctx, u)
		} else {
			h, err = StartEmbeddedWith(ctx, zap.NewNop(), EmbeddedOptions{Durable: r.durable})
		}
		if err != nil {
			return nil, err
		}
		h.keepFailed = r.keepFailed
		r.onClose(h.Close)
		return h, nil
	})
	r.pair = sync.OnceValues(func() (*pairEnv, error) {
		if err := r.checkMain(); err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		p, err := startPair(ctx, zap.NewNop(), r.durable)
		if err != nil {
			return nil, err
		}
		p.harness.keepFailed = r.keepFailed
		r.onClose(p.close)
		return p, nil
	})
	r.pooled = sync.OnceValues(func() (*pooledEnv, error) {
		if err := r.checkMain(); err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		p, err := startPooled(ctx, zap.NewNop(), EmbeddedOptions{Durable: r.durable})
		if err != nil {
			return nil, err
		}
		p.harness.keepFailed = r.keepFailed
		r.onClose(p.close)
		return p, nil
	})
	return r
}

func (r *resources) checkMain() error {
	if !r.mainCalled.Load() {
		return errors.New("dbtest: call dbtest.Main from this package's TestMain, so the embedded PostgreSQL is stopped when the tests end:\n\tfunc TestMain(m *testing.M) { dbtest.Main(m) }")
	}
	return nil
}

func (r *resources) onClose(f func(context.Context) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closers = append(r.closers, f)
}

// close stops everything, last started first.
func (r *resources) close(ctx context.Context) error {
	r.mu.Lock()
	closers := r.closers
	r.closers = nil
	r.mu.Unlock()
	var errs []error
	for i := len(closers) - 1; i >= 0; i-- {
		errs = append(errs, closers[i](ctx))
	}
	return errors.Join(errs...)
}
