package app

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/central/central/internal/boot"
	"github.com/central/central/internal/buildinfo"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/httpapi"
	"github.com/central/central/internal/migrate"
	"github.com/central/central/internal/seed"
	"github.com/central/central/internal/seed/development"
	"github.com/central/central/internal/seed/production"
	"github.com/central/central/internal/sensitive/keyring"
	"github.com/central/central/internal/service"
	"github.com/central/central/internal/tracing"
	"github.com/central/central/migrations"
	"github.com/central/central/migrations/gosteps"
)

// Options is the application without the HTTP server and without the
// boot-time migration and seed hooks: pools and clients, keyring, services,
// the migrator and the seed runner. The CLI's db commands run on it.
func Options(env *Env) fx.Option {
	cfg := env.Config
	return fx.Options(
		fx.Supply(cfg, env.Logger, buildinfo.Version(env.Version)),
		fx.WithLogger(func(l *zap.Logger) fxevent.Logger {
			// fx's own events are noise outside debugging.
			zl := &fxevent.ZapLogger{Logger: l.Named("fx")}
			zl.UseLogLevel(zapcore.DebugLevel)
			return zl
		}),
		fx.Provide(
			newRegistry,
			func(r *prometheus.Registry) prometheus.Gatherer { return r },
			func() (keyring.Spec, error) { return KeyringSpec(cfg) },
			func() *migratorSlot { return &migratorSlot{} },
			newMigrator,
			pendingMigrations,
		),
		fx.Invoke(warnInsecureTLS),
		tracing.Module,
		db.Module,
		keyring.Module,
		service.Module,
		development.Module,
		production.Module,
	)
}

// ServeOptions is the whole server: Options plus the boot-time migrations
// (unless SKIP_MIGRATIONS), then seeds (unless SKIP_SEEDS), then the HTTP
// server, in that order.
func ServeOptions(env *Env) fx.Option {
	cfg := env.Config
	return fx.Options(
		Options(env),
		// The order of these modules does not matter: each stage's hook is
		// appended by a constructor taking the previous stage's token
		// (internal/boot), so migrations, seeds and the server start in
		// that order whatever the listing.
		MigrateModule,
		seed.Module,
		fx.Module("http",
			fx.Provide(
				func(d *db.DB) httpapi.Store { return d },
				httpapi.New,
				func(api *httpapi.API, l *zap.Logger, tp trace.TracerProvider) *httpapi.Server {
					return httpapi.NewServer(api, l, cfg.HTTPAddr,
						httpapi.WithShutdown(cfg.Shutdown.Delay, cfg.Shutdown.Timeout),
						httpapi.WithMiddleware(tracing.Middleware(tp)))
				},
			),
			fx.Invoke(func(lc fx.Lifecycle, s *httpapi.Server, _ boot.Seeded) { httpapi.Register(lc, s) }),
		),
		fx.StartTimeout(startTimeout(cfg)),
		fx.StopTimeout(stopTimeout(cfg)),
	)
}

// poolsStopTimeout bounds what the shutdown does after the HTTP server:
// closing the pools (and the embedded server, outside fx).
const poolsStopTimeout = 30 * time.Second

// stopTimeout bounds the graceful shutdown: the delay with readiness
// false, draining requests, then pools.
func stopTimeout(cfg config.Config) time.Duration {
	return cfg.Shutdown.Delay + cfg.Shutdown.Timeout + poolsStopTimeout
}

// startTimeout lets the migration and seed hooks use their own timeouts:
// fx abandons a start that outlives fx.StartTimeout whatever its hooks do.
func startTimeout(cfg config.Config) time.Duration {
	return cfg.Migrate.Timeout + cfg.Seed.Timeout + time.Minute
}

// warnInsecureTLS says loudly, at every start, which database connections
// production accepted without verified TLS (POSTGRES_ALLOW_INSECURE_TLS).
func warnInsecureTLS(cfg config.Config, logger *zap.Logger) {
	for _, t := range cfg.Postgres.InsecureTLS {
		mode := t.SSLMode
		if mode == "" {
			mode = "(none)"
		}
		logger.Warn("INSECURE: production database connection without verified TLS, allowed by POSTGRES_ALLOW_INSECURE_TLS=true; "+
			"use sslmode=verify-full unless TLS is terminated on a trusted network",
			zap.String("variable", t.Var), zap.String("sslmode", mode))
	}
}

func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// MigrateProgress, when provided to fx (optional), receives the migrator's
// progress lines: the CLI supplies &app.MigrateProgress{Writer: os.Stdout}
// for `app db migrate`.
type MigrateProgress struct{ io.Writer }

type migratorIn struct {
	fx.In
	Pools    *db.Pools
	DB       *db.DB
	Services *service.Services
	Logger   *zap.Logger
	Version  buildinfo.Version `optional:"true"`
	Progress *MigrateProgress  `optional:"true"`
	Slot     *migratorSlot
}

// newMigrator is the app's migrator: migrations/ and the Go data
// migrations of migrations/gosteps, which run with the app's services.
func newMigrator(in migratorIn) (*migrate.Migrator, error) {
	m, err := buildMigrator(in)
	if err == nil {
		in.Slot.m.Store(m)
	}
	return m, err
}

func buildMigrator(in migratorIn) (*migrate.Migrator, error) {
	tx, err := gosteps.StepTx(in.DB)
	if err != nil {
		return nil, err
	}
	log := in.Logger.Named("migrate")
	steps := gosteps.Bind(gosteps.Steps(), gosteps.Deps{Services: in.Services, DB: in.DB, Log: log})
	opts := []migrate.Option{
		migrate.WithLogger(log),
		migrate.WithOperatorVersion("central " + string(in.Version)),
		migrate.WithGoSteps(tx, steps),
	}
	if in.Progress != nil && in.Progress.Writer != nil {
		opts = append(opts, migrate.WithProgress(in.Progress.Writer))
	}
	// The direct connection: behind a transaction pooler
	// (POSTGRES_DIRECT_URL) the migration lock needs a real session.
	return migrate.New(in.Pools.DirectDB(), migrations.FS, opts...)
}

// MigrateModule applies the pending migrations at boot (SQL files and Go
// data migrations, in version order, under the migration lock and
// MIGRATE_TIMEOUT) unless SKIP_MIGRATIONS, and provides boot.Migrated,
// which the seed stage needs.
var MigrateModule = fx.Module("migrate.boot",
	fx.Provide(registerMigrations),
	fx.Invoke(func(boot.Migrated) {}),
)

// registerMigrations appends the migration hook and returns the token that
// orders later stages after it.
func registerMigrations(lc fx.Lifecycle, cfg config.Config, m *migrate.Migrator, logger *zap.Logger, tp trace.TracerProvider) boot.Migrated {
	if cfg.Migrate.Skip {
		logger.Named("migrate").Info("migrations skipped at boot (SKIP_MIGRATIONS)")
		return boot.Migrated{}
	}
	lc.Append(fx.Hook{OnStart: func(ctx context.Context) error {
		ctx, span := tracing.StartRoot(ctx, tp, "migrate")
		_, err := m.UpDetached(ctx, cfg.Migrate.Timeout)
		tracing.End(span, err)
		return err
	}})
	return boot.Migrated{}
}

// migratorSlot hands the migrator to readiness once it is built: the
// migrator's Go steps need *db.DB, whose readiness needs the migrator, so
// readiness takes it late instead of as a constructor parameter (a cycle).
type migratorSlot struct {
	m atomic.Pointer[migrate.Migrator]
}

// pendingMigrations lets readiness say whether the schema is current: the
// number of pending files and Go steps, or what Up would refuse (a tampered
// directory, a database newer than the binary, a recorded Go step missing
// from it).
func pendingMigrations(slot *migratorSlot) db.PendingChecker {
	return db.PendingFunc(func(ctx context.Context) (int, error) {
		m := slot.m.Load()
		if m == nil {
			return 0, errors.New("the migrator is not built (no migration stage in this application)")
		}
		rep, err := m.Status(ctx)
		if err != nil {
			return 0, err
		}
		return rep.PendingCount(), rep.Problem
	})
}
