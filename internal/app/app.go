package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

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
)

// Options is the application without the HTTP server and without the
// boot-time migration and seed hooks: pools and clients, keyring, services,
// the migrator and the seed runner. The CLI's db commands run on it.
func Options(env *Env) fx.Option {
	cfg := env.Config
	return fx.Options(
		fx.Supply(cfg, env.Logger, seed.AppVersion(env.Version)),
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
			newMigrator,
			pendingMigrations,
		),
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
		// fx runs child modules' invokes first and in order, and OnStart
		// hooks in the order they were appended: migrations before seeds.
		fx.Module("migrate.boot", fx.Invoke(registerMigrations)),
		seed.Module,
		fx.Module("http",
			fx.Provide(
				func(d *db.DB) httpapi.Store { return d },
				httpapi.New,
				func(api *httpapi.API, l *zap.Logger, tp trace.TracerProvider) *httpapi.Server {
					return httpapi.NewServer(api, l, cfg.HTTPAddr, httpapi.WithMiddleware(tracing.Middleware(tp)))
				},
			),
			fx.Invoke(httpapi.Register),
		),
		fx.StartTimeout(startTimeout(cfg)),
		fx.StopTimeout(stopTimeout),
	)
}

// stopTimeout bounds the graceful shutdown: draining requests, then pools.
const stopTimeout = 30 * time.Second

// startTimeout lets the migration and seed hooks use their own timeouts:
// fx abandons a start that outlives fx.StartTimeout whatever its hooks do.
func startTimeout(cfg config.Config) time.Duration {
	return cfg.Migrate.Timeout + cfg.Seed.Timeout + time.Minute
}

func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// newMigrator migrates on the direct connection behind a transaction pooler
// (POSTGRES_DIRECT_URL): the migration lock is a session advisory lock.
func newMigrator(pools *db.Pools, logger *zap.Logger, version seed.AppVersion) (*migrate.Migrator, error) {
	return migrate.New(pools.DirectDB(), migrations.FS,
		migrate.WithLogger(logger.Named("migrate")),
		migrate.WithOperatorVersion("central "+string(version)))
}

func registerMigrations(lc fx.Lifecycle, cfg config.Config, m *migrate.Migrator, logger *zap.Logger, tp trace.TracerProvider) {
	if cfg.Migrate.Skip {
		logger.Named("migrate").Info("migrations skipped at boot (SKIP_MIGRATIONS)")
		return
	}
	lc.Append(fx.Hook{OnStart: func(ctx context.Context) error {
		ctx, span := tracing.StartRoot(ctx, tp, "migrate")
		_, err := m.UpDetached(ctx, cfg.Migrate.Timeout)
		tracing.End(span, err)
		return err
	}})
}

// pendingMigrations lets readiness say whether the schema is current: the
// number of pending files, or what Up would refuse (a tampered directory, a
// database newer than the binary).
func pendingMigrations(m *migrate.Migrator) db.PendingChecker {
	return db.PendingFunc(func(ctx context.Context) (int, error) {
		rep, err := m.Status(ctx)
		if err != nil {
			return 0, err
		}
		if rep.Problem != nil {
			return len(rep.Pending), rep.Problem
		}
		return len(rep.Pending), nil
	})
}
