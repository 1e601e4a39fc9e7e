package app

import (
	"context"
	"fmt"
	"path/filepath"

	"go.uber.org/zap"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/pgserver"
)

// Env is a configuration made runnable: the embedded server started when the
// configuration asks for it, and its URLs filled in.
type Env struct {
	Config config.Config
	Logger *zap.Logger
	// Version of the binary, recorded with migrations and seeds.
	Version string
	// Embedded is the embedded server, or nil when an external one is used.
	Embedded *pgserver.Server
}

// Prepare starts the embedded PostgreSQL under DATA_DIR/postgres when
// cfg.Postgres.Embedded, and returns cfg with its read-write and read-only
// URLs filled in. Close the Env after the fx app has stopped.
func Prepare(ctx context.Context, cfg config.Config, logger *zap.Logger, version string) (*Env, error) {
	env := &Env{Config: cfg, Logger: logger, Version: version}
	if !cfg.Postgres.Embedded {
		return env, nil
	}
	dir, err := filepath.Abs(filepath.Join(cfg.DataDir, "postgres"))
	if err != nil {
		return nil, fmt.Errorf("resolve embedded data directory: %w", err)
	}
	srv, err := pgserver.Start(ctx, pgserver.Config{DataDir: dir, Logger: logger.Named("pgserver")})
	if err != nil {
		return nil, fmt.Errorf("start embedded PostgreSQL in %s: %w", dir, err)
	}
	env.Embedded = srv
	env.Config.Postgres.ReadWrite.URL = config.Secret(srv.URL(pgserver.RoleReadWrite, pgserver.Database))
	env.Config.Postgres.ReadOnly.URL = config.Secret(srv.URL(pgserver.RoleReadOnly, pgserver.Database))
	logger.Info("embedded PostgreSQL running",
		zap.String("address", fmt.Sprintf("%s:%d", srv.Host(), srv.Port())),
		zap.String("data_dir", dir),
		zap.String("log", srv.LogFile()),
		zap.String("read_write", config.RedactURL(env.Config.Postgres.ReadWrite.URL.Reveal())),
		zap.String("read_only", config.RedactURL(env.Config.Postgres.ReadOnly.URL.Reveal())),
	)
	return env, nil
}

// Close stops the embedded server, if one was started.
func (e *Env) Close(ctx context.Context) error {
	if e.Embedded == nil {
		return nil
	}
	if err := e.Embedded.Stop(ctx); err != nil {
		return fmt.Errorf("stop embedded PostgreSQL: %w", err)
	}
	e.Logger.Info("embedded PostgreSQL stopped")
	return nil
}
