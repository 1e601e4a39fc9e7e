package seed

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/central/central/ent"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/service"
	"github.com/central/central/internal/tracing"
)

// Deps is what the app's seeds receive: the services, bound to the seed's
// transaction through the ctx the seed gets, and a logger.
type Deps struct {
	Services *service.Services
	Log      *zap.Logger
}

// AppSet is a seed package of the app (development.Seeds, production.Seeds).
type AppSet = Set[Deps]

// AppRunner runs the app's seeds.
type AppRunner = Runner[Deps]

// AppVersion is recorded in each ledger row; provide it to fx (optional).
type AppVersion string

// ProgressWriter, when provided to fx (optional), receives the runner's
// progress lines instead of the logger: the CLI supplies
// &seed.ProgressWriter{Writer: os.Stdout} for `app db seed`.
type ProgressWriter struct{ io.Writer }

// FromDB adapts the app's *db.DB: seeds run in its transactions (WithTx,
// without retries: a seed runs once per attempt) and the lock is held on a
// session of its read-write pool. CopyFrom runs on the connection of the
// seed's transaction (db.DB.WithTxConn).
func FromDB(d *db.DB) (Database, error) {
	if d == nil {
		return nil, errors.New("seed: FromDB: *db.DB is nil")
	}
	// One session holds the seed lock while each seed's transaction needs
	// another: a one-connection pool would wait on itself.
	if n := d.Pools().ReadWrite.Stats().MaxOpenConnections; n == 1 && d.Pools().Direct == nil {
		return nil, errors.New("seed: FromDB: the read-write pool allows 1 connection; seeding needs 2 (one holds the seed lock): raise the read-write pool size")
	}
	return dbAdapter{d}, nil
}

type dbAdapter struct{ d *db.DB }

func (a dbAdapter) WithTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return a.d.WithTx(ctx, fn, db.WithMaxAttempts(1))
}

func (a dbAdapter) Writer(ctx context.Context) *ent.Client { return a.d.Writer(ctx) }

func (a dbAdapter) InTx(ctx context.Context) bool { return db.InTx(ctx) }

// Conn is the lock's session: the direct pool behind a transaction pooler,
// where a session advisory lock would outlive its transaction on a server
// session that other clients then share.
func (a dbAdapter) Conn(ctx context.Context) (*sql.Conn, error) {
	return a.d.Pools().DirectDB().Conn(ctx)
}

func (a dbAdapter) WithTxConn(ctx context.Context, fn func(*pgx.Conn) error) error {
	return a.d.WithTxConn(ctx, fn)
}

var _ TxConnLender = dbAdapter{}

// SetFor picks the set APP_ENV runs: production's in production, else
// development's.
func SetFor(env config.Env, sets []AppSet) (AppSet, error) {
	want := config.Development
	if env == config.Production {
		want = config.Production
	}
	for _, s := range sets {
		if s.Env == want {
			return s, nil
		}
	}
	return AppSet{}, fmt.Errorf("seed: no %s seed set for APP_ENV=%s: include %s.Module (internal/seed/%s) in the app", want, env, want, want)
}

// NewAppRunner builds the app's runner from configuration: the set for
// cfg.Env, SEED_CHANGED and SEED_ALLOW_OUT_OF_ORDER. Progress lines (seed
// start and finish, warnings, Progress(ctx) reports) go to the logger named
// "seed" through a LogWriter unless opts say otherwise (the CLI passes
// WithProgress(os.Stdout)).
func NewAppRunner(cfg config.Config, d *db.DB, svc *service.Services, logger *zap.Logger, sets []AppSet, version AppVersion, opts ...Option) (*AppRunner, error) {
	if svc == nil {
		return nil, errors.New("seed: NewAppRunner: services are nil")
	}
	if logger == nil {
		return nil, errors.New("seed: NewAppRunner: logger is nil")
	}
	database, err := FromDB(d)
	if err != nil {
		return nil, err
	}
	set, err := SetFor(cfg.Env, sets)
	if err != nil {
		return nil, err
	}
	log := logger.Named("seed")
	changed := cfg.Seed.OnChanged
	if changed == "" {
		changed = config.SeedChangedError
	}
	base := []Option{WithProgress(&LogWriter{Log: log}), WithAppVersion(string(version)),
		WithOutOfOrder(cfg.Seed.AllowOutOfOrder), WithChanged(changed)}
	return New(database, cfg.Env, set, Deps{Services: svc, Log: log}, append(base, opts...)...)
}

// RunDetached runs the pending seeds bounded by timeout alone: the parent's
// cancellation and deadline (fx's start timeout) do not cut a long seed off.
// timeout <= 0 means config.DefaultSeedTimeout.
func (r *Runner[D]) RunDetached(ctx context.Context, timeout time.Duration) (Report, error) {
	if timeout <= 0 {
		timeout = config.DefaultSeedTimeout
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	rep, err := r.Run(ctx, RunOptions{})
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("seed: run stopped by SEED_TIMEOUT (%s): %w", timeout, err)
	}
	return rep, err
}

// Module provides *AppRunner and runs the pending seeds in an OnStart hook,
// unless SKIP_SEEDS. It needs config.Config, *db.DB, *service.Services,
// *zap.Logger and the seed sets (development.Module, production.Module);
// AppVersion is optional.
//
// Ordering: fx runs OnStart hooks in the order they were appended, and this
// module appends its hook from an fx.Invoke. Give fx.New the module that
// appends the migration hook before seed.Module, so seeds run on a migrated
// schema. The hook runs with its own SEED_TIMEOUT; fx still abandons Start
// after fx.StartTimeout (15s by default), so set fx.StartTimeout above
// MIGRATE_TIMEOUT + SEED_TIMEOUT.
var Module = fx.Module("seed",
	fx.Provide(provideRunner),
	fx.Invoke(registerHook),
)

// RunnerModule provides *AppRunner without the boot hook, for the CLI
// (`app db seed`, `app db seed status`).
var RunnerModule = fx.Module("seed",
	fx.Provide(provideRunner),
)

type runnerIn struct {
	fx.In
	Config   config.Config
	DB       *db.DB
	Services *service.Services
	Logger   *zap.Logger
	Sets     []AppSet        `group:"seed_sets"`
	Version  AppVersion      `optional:"true"`
	Progress *ProgressWriter `optional:"true"`
}

func provideRunner(in runnerIn) (*AppRunner, error) {
	var opts []Option
	if in.Progress != nil && in.Progress.Writer != nil {
		opts = append(opts, WithProgress(in.Progress.Writer))
	}
	return NewAppRunner(in.Config, in.DB, in.Services, in.Logger, in.Sets, in.Version, opts...)
}

type hookIn struct {
	fx.In
	LC      fx.Lifecycle
	Config  config.Config
	Runner  *AppRunner
	Logger  *zap.Logger
	Tracing trace.TracerProvider `optional:"true"` // the boot step's span "seed"
}

func registerHook(in hookIn) {
	cfg, r := in.Config, in.Runner
	if cfg.Seed.Skip {
		in.Logger.Named("seed").Info("seeds skipped at boot (SKIP_SEEDS)")
		return
	}
	in.LC.Append(fx.Hook{OnStart: func(ctx context.Context) error {
		ctx, span := tracing.StartRoot(ctx, in.Tracing, "seed")
		_, err := r.RunDetached(ctx, cfg.Seed.Timeout)
		tracing.End(span, err)
		return err
	}})
}

// LogWriter turns progress lines into log entries: "warning: ..." lines at
// warn level, the others at info level.
type LogWriter struct {
	Log *zap.Logger

	mu  sync.Mutex
	buf []byte
}

// Write logs each complete line; a partial line waits for its newline.
func (w *LogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if line, ok := bytes.CutPrefix(w.buf[:i], []byte("warning: ")); ok {
			w.Log.Warn(string(line))
		} else {
			w.Log.Info(string(w.buf[:i]))
		}
		w.buf = w.buf[i+1:]
	}
}

var _ io.Writer = (*LogWriter)(nil)
