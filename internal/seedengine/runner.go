package seedengine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/central/central/ent"
	entseed "github.com/central/central/ent/seed"
	"github.com/central/central/internal/config"
)

// Database is what the runner needs from the database module. internal/db's
// *DB satisfies it through FromDB. If it also has InTx(ctx) bool, Run
// refuses a context that already carries a transaction.
type Database interface {
	// WithTx runs fn in a transaction carried by the context fn receives;
	// services called with that context join it (nested calls: savepoints).
	WithTx(ctx context.Context, fn func(ctx context.Context) error) error
	// Writer returns the read-write client, bound to ctx's transaction if
	// ctx carries one. The runner reads and writes the ledger through it.
	Writer(ctx context.Context) *ent.Client
	// Conn returns a dedicated read-write session; the runner holds the seed
	// advisory lock on it.
	Conn(ctx context.Context) (*sql.Conn, error)
}

// TxConnLender is implemented by a Database that can lend the pgx connection
// under ctx's transaction; CopyFrom needs it (ErrCopyUnsupported otherwise).
type TxConnLender interface {
	WithTxConn(ctx context.Context, fn func(conn *pgx.Conn) error) error
}

// AppMetaKey is the app_meta key stamping the environment a database was
// seeded for.
const AppMetaKey = "seed_environment"

// Runner applies a seed set to a database: each pending seed once, in name
// order, in its own transaction with its ledger row.
type Runner[D any] struct {
	db    Database
	env   config.Env
	seeds []Seed[D]
	deps  D
	o     options
}

type options struct {
	log          *zap.Logger
	out          io.Writer
	appVersion   string
	outOfOrder   bool
	changed      config.SeedChangedMode
	now          func() time.Time
	lockTimeout  time.Duration
	progressStep time.Duration
}

// Option configures New.
type Option func(*options) error

// WithLogger logs each applied seed and each warning as structured entries
// (default: none; progress lines go to WithProgress's writer).
func WithLogger(log *zap.Logger) Option {
	return func(o *options) error {
		if log == nil {
			return errors.New("seed: WithLogger: logger is nil; pass zap.NewNop() to disable logging")
		}
		o.log = log
		return nil
	}
}

// WithProgress writes one line when each seed starts and finishes (with its
// duration), warnings, and what seeds report through Progress(ctx).
func WithProgress(w io.Writer) Option {
	return func(o *options) error {
		if w == nil {
			return errors.New("seed: WithProgress: writer is nil; pass io.Discard to disable progress")
		}
		o.out = w
		return nil
	}
}

// WithProgressInterval bounds how often Progress(ctx).Count prints (default 1s).
func WithProgressInterval(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("seed: WithProgressInterval: %s is negative", d)
		}
		o.progressStep = d
		return nil
	}
}

// WithAppVersion is recorded in each ledger row.
func WithAppVersion(v string) Option {
	return func(o *options) error { o.appVersion = v; return nil }
}

// WithOutOfOrder lets a new seed that sorts before an applied one run
// (SEED_ALLOW_OUT_OF_ORDER); by default it is refused with *OutOfOrderError.
func WithOutOfOrder(allow bool) Option {
	return func(o *options) error { o.outOfOrder = allow; return nil }
}

// WithChanged says what a changed applied seed causes (SEED_CHANGED):
// config.SeedChangedError (default) or config.SeedChangedWarn, which New
// accepts only in development.
func WithChanged(mode config.SeedChangedMode) Option {
	return func(o *options) error {
		switch mode {
		case config.SeedChangedError, config.SeedChangedWarn:
			o.changed = mode
			return nil
		}
		return fmt.Errorf("seed: WithChanged: unknown mode %q; use %q or %q", mode, config.SeedChangedError, config.SeedChangedWarn)
	}
}

// WithClock sets the clock for durations and applied_at (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return errors.New("seed: WithClock: clock is nil; pass time.Now")
		}
		o.now = now
		return nil
	}
}

// WithLockTimeout bounds the wait for another instance's seed run
// (ErrLockTimeout); zero (default) waits until ctx ends, since a waiter has
// nothing better to do than wait for the seeds it would otherwise run.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("seed: WithLockTimeout: %s is negative", d)
		}
		o.lockTimeout = d
		return nil
	}
}

// New loads and validates set (see Set.Load) and returns a runner applying it
// for env (APP_ENV) with deps. Production runs the production set; development
// and test run the development set.
func New[D any](db Database, env config.Env, set Set[D], deps D, opts ...Option) (*Runner[D], error) {
	if db == nil {
		return nil, errors.New("seed: New: database is nil")
	}
	switch env {
	case config.Development, config.Test:
		if set.Env != config.Development {
			return nil, fmt.Errorf("seed: New: APP_ENV=%s runs the development seed set, got the %s set", env, set.Env)
		}
	case config.Production:
		if set.Env != config.Production {
			return nil, fmt.Errorf("seed: New: APP_ENV=production runs the production seed set, got the %s set", set.Env)
		}
	default:
		return nil, fmt.Errorf("seed: New: unknown environment %q; use development, test or production", env)
	}
	o := options{log: zap.NewNop(), out: io.Discard, changed: config.SeedChangedError, now: time.Now, progressStep: time.Second}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.changed == config.SeedChangedWarn && env != config.Development {
		return nil, fmt.Errorf("seed: New: warning about changed seeds is allowed only in development (APP_ENV=%s); write a new seed instead of editing an applied one", env)
	}
	seeds, err := set.Load()
	if err != nil {
		return nil, err
	}
	return &Runner[D]{db: db, env: env, seeds: seeds, deps: deps, o: o}, nil
}

// Seeds lists the loaded seeds in the order they run.
func (r *Runner[D]) Seeds() []Seed[D] { return slices.Clone(r.seeds) }

// Env is the environment the runner seeds for.
func (r *Runner[D]) Env() config.Env { return r.env }

// RunOptions configures one Run.
type RunOptions struct {
	// DryRun checks everything and lists what would run, without locking or
	// writing.
	DryRun bool
}

// Report says what a Run did.
type Report struct {
	Env config.Env
	// Applied are the seeds this run applied, in order.
	Applied []Applied
	// Pending are the seeds still pending afterwards: after a dry run, those
	// that would run; after a failure, the failed one and those after it.
	Pending []string
	// Warnings are problems that did not stop the run (a changed seed in
	// development with SEED_CHANGED=warn, a missing seed outside production).
	Warnings []string
	// Locked is true when the run took the seed lock (something was pending).
	Locked bool
}

// Applied is one seed a Run applied.
type Applied struct {
	Name     string
	SHA256   string
	Duration time.Duration
}

// Run applies the pending seeds. When nothing is pending it only reads the
// ledger (no lock, no write). Otherwise it takes the seed advisory lock,
// checks again (another instance may have applied them meanwhile) and applies
// what is still pending, each seed and its ledger row in one transaction. The
// first failing seed stops the run with a *SeedError; the seeds before it
// stay applied.
func (r *Runner[D]) Run(ctx context.Context, opts RunOptions) (Report, error) {
	rep := Report{Env: r.env}
	if t, ok := r.db.(interface{ InTx(context.Context) bool }); ok && t.InTx(ctx) {
		// Seeds would become savepoints of the caller's transaction and
		// commit after the lock is released: other instances could run them too.
		return rep, errors.New("seed: Run called inside a transaction; call it with a context that carries none")
	}
	p, err := r.plan(ctx)
	if err != nil {
		return rep, err
	}
	rep.Warnings = p.warnings
	rep.Pending = names(p.pending)
	if opts.DryRun || len(p.pending) == 0 {
		r.warn(p.warnings)
		return rep, nil
	}

	lock, err := r.lock(ctx)
	if err != nil {
		return rep, err
	}
	rep.Locked = true
	defer func() {
		if uerr := lock.Release(); uerr != nil {
			r.o.log.Warn("release seed lock", zap.Error(uerr))
		}
	}()
	if p, err = r.plan(ctx); err != nil {
		return rep, err
	}
	// Pending needs no update here: the loop below sets it on failure, and
	// it is empty on success.
	rep.Warnings = p.warnings
	r.warn(p.warnings)
	for i, s := range p.pending {
		a, err := r.tracedApply(ctx, s)
		if err != nil {
			rep.Pending = names(p.pending[i:])
			return rep, err
		}
		rep.Applied = append(rep.Applied, a)
	}
	rep.Pending = nil
	return rep, nil
}

// DryRun checks the ledger and lists the seeds Run would apply.
func (r *Runner[D]) DryRun(ctx context.Context) (Report, error) {
	return r.Run(ctx, RunOptions{DryRun: true})
}

func (r *Runner[D]) warn(ws []string) {
	for _, w := range ws {
		r.o.log.Warn(w)
		fmt.Fprintf(r.o.out, "warning: %s\n", w)
	}
}

func (r *Runner[D]) apply(ctx context.Context, s Seed[D]) (Applied, error) {
	fmt.Fprintf(r.o.out, "seed %s: start\n", s.Name)
	start := r.o.now()
	run := &running{name: s.Name, progress: newReporter(s.Name, r.o.out, r.o.now, r.o.progressStep)}
	if l, ok := r.db.(TxConnLender); ok {
		run.lend = l.WithTxConn
	}
	var d time.Duration
	err := r.db.WithTx(ctx, func(ctx context.Context) error {
		if err := callSeed(newRunContext(ctx, run), s, r.deps); err != nil {
			return err
		}
		d = r.o.now().Sub(start)
		return r.record(ctx, s, d)
	})
	if err != nil {
		fmt.Fprintf(r.o.out, "seed %s: failed after %s, rolled back: %v\n", s.Name, r.o.now().Sub(start).Round(time.Millisecond), err)
		return Applied{}, &SeedError{Name: s.Name, Err: err}
	}
	fmt.Fprintf(r.o.out, "seed %s: done in %s\n", s.Name, d.Round(time.Millisecond))
	r.o.log.Info("seed applied", zap.String("seed", s.Name), zap.String("env", string(r.env)), zap.Duration("duration", d))
	return Applied{Name: s.Name, SHA256: s.SHA256, Duration: d}, nil
}

// callSeed runs the seed, turning a panic into an error so the transaction
// rolls back and boot reports which seed broke.
func callSeed[D any](ctx context.Context, s Seed[D], deps D) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("seed panicked: %v", p)
		}
	}()
	return s.Fn(ctx, deps)
}

// record writes the ledger row and the environment stamp in the seed's
// transaction.
func (r *Runner[D]) record(ctx context.Context, s Seed[D], d time.Duration) error {
	c := r.db.Writer(ctx)
	if _, err := c.ExecContext(ctx,
		`INSERT INTO app_meta (key, value, updated_at) VALUES ($1, $2, now()) ON CONFLICT (key) DO NOTHING`,
		AppMetaKey, string(r.env)); err != nil {
		return fmt.Errorf("stamp database environment: %w", err)
	}
	err := c.Seed.Create().
		SetName(s.Name).
		SetEnvironment(entseed.Environment(r.env)).
		SetSha256(s.SHA256).
		SetAppliedAt(r.o.now()).
		SetDurationMs(d.Milliseconds()).
		SetAppVersion(r.o.appVersion).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("record seed in the ledger: %w", err)
	}
	return nil
}

func names[D any](ss []Seed[D]) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Name
	}
	return out
}
