package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
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
		fx.Invoke(warnInsecureTLS),
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
				func(api *httpapi.API, l *zap.Logger) *httpapi.Server {
					return httpapi.NewServer(api, l, cfg.HTTPAddr, httpapi.WithShutdown(cfg.Shutdown.Delay, cfg.Shutdown.Timeout))
				},
			),
			fx.Invoke(httpapi.Register),
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

func newMigrator(pool *db.ReadWritePool, logger *zap.Logger, version seed.AppVersion) (*migrate.Migrator, error) {
	return migrate.New(pool.DB, migrations.FS,
		migrate.WithLogger(logger.Named("migrate")),
		migrate.WithOperatorVersion("central "+string(version)))
}

func registerMigrations(lc fx.Lifecycle, cfg config.Config, m *migrate.Migrator, logger *zap.Logger) {
	if cfg.Migrate.Skip {
		logger.Named("migrate").Info("migrations skipped at boot (SKIP_MIGRATIONS)")
		return
	}
	lc.Append(fx.Hook{OnStart: func(ctx context.Context) error {
		_, err := m.UpDetached(ctx, cfg.Migrate.Timeout)
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
