package seed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/central/central/ent"
	"github.com/central/central/internal/boot"
	"github.com/central/central/internal/buildinfo"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/seedengine"
	"github.com/central/central/internal/service"
	"github.com/central/central/internal/tracing"
)

// Deps is what the app's seeds receive: the services, bound to the seed's
// transaction through the ctx the seed gets, and a logger.
type Deps struct {
	Services *service.Services
	Log      *zap.Logger
}

// Func is one of the app's seeds.
type Func = seedengine.Func[Deps]

// AppSet is a seed package of the app (development.Seeds, production.Seeds).
type AppSet = seedengine.Set[Deps]

// AppRunner runs the app's seeds.
type AppRunner = seedengine.Runner[Deps]

// Progress returns the progress reporter of the seed running in ctx (see
// seedengine.Progress); here so that a seed file needs one import.
func Progress(ctx context.Context) *seedengine.Reporter { return seedengine.Progress(ctx) }

// CopyFrom bulk-loads rows with COPY in the running seed's transaction (see
// seedengine.CopyFrom).
func CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource, opts ...seedengine.CopyOption) (int64, error) {
	return seedengine.CopyFrom(ctx, table, columns, src, opts...)
}

// ProgressWriter, when provided to fx (optional), receives the runner's
// progress lines instead of the logger: the CLI supplies
// &seed.ProgressWriter{Writer: os.Stdout} for `app db seed`.
type ProgressWriter struct{ io.Writer }

// FromDB adapts the app's *db.DB: seeds run in its transactions (WithTx,
// without retries: a seed runs once per attempt) and the lock is held on a
// session of its read-write pool. CopyFrom runs on the connection of the
// seed's transaction (db.DB.WithTxConn).
func FromDB(d *db.DB) (seedengine.Database, error) {
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

var _ seedengine.TxConnLender = dbAdapter{}

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
func NewAppRunner(cfg config.Config, d *db.DB, svc *service.Services, logger *zap.Logger, sets []AppSet, version buildinfo.Version, opts ...seedengine.Option) (*AppRunner, error) {
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
	base := []seedengine.Option{seedengine.WithProgress(&seedengine.LogWriter{Log: log}), seedengine.WithAppVersion(string(version)),
		seedengine.WithOutOfOrder(cfg.Seed.AllowOutOfOrder), seedengine.WithChanged(changed)}
	return seedengine.New(database, cfg.Env, set, Deps{Services: svc, Log: log}, append(base, opts...)...)
}

// Module provides *AppRunner and runs the pending seeds in an OnStart hook,
// unless SKIP_SEEDS, and provides boot.Seeded. It needs config.Config,
// *db.DB, *service.Services, *zap.Logger, the seed sets (development.Module,
// production.Module) and boot.Migrated; buildinfo.Version is optional.
//
// Ordering is a data dependency: the hook is appended by a constructor
// that takes boot.Migrated, which only the constructor appending the
// migration hook provides, so seeds run after migrations wherever this
// module is listed (and fx.New fails when no migration stage is there).
// The hook runs with its own SEED_TIMEOUT; fx still abandons Start after
// fx.StartTimeout (15s by default), so set fx.StartTimeout above
// MIGRATE_TIMEOUT + SEED_TIMEOUT.
var Module = fx.Module("seed",
	fx.Provide(provideRunner, registerHook),
	fx.Invoke(func(boot.Seeded) {}),
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
	Sets     []AppSet          `group:"seed_sets"`
	Version  buildinfo.Version `optional:"true"`
	Progress *ProgressWriter   `optional:"true"`
}

func provideRunner(in runnerIn) (*AppRunner, error) {
	var opts []seedengine.Option
	if in.Progress != nil && in.Progress.Writer != nil {
		opts = append(opts, seedengine.WithProgress(in.Progress.Writer))
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
	// Migrated orders the seed hook after the migration hook: only the
	// migration stage provides it.
	Migrated boot.Migrated
}

// registerHook appends the seed hook and returns the token that orders the
// HTTP server after it.
func registerHook(in hookIn) boot.Seeded {
	cfg, r := in.Config, in.Runner
	if cfg.Seed.Skip {
		in.Logger.Named("seed").Info("seeds skipped at boot (SKIP_SEEDS)")
		return boot.Seeded{}
	}
	in.LC.Append(fx.Hook{OnStart: func(ctx context.Context) error {
		ctx, span := tracing.StartRoot(ctx, in.Tracing, "seed")
		_, err := r.RunDetached(ctx, cfg.Seed.Timeout)
		tracing.End(span, err)
		return err
	}})
	return boot.Seeded{}
}
