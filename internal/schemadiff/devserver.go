package schemadiff

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"go.uber.org/zap"

	"github.com/central/central/internal/pgserver"
)

// DevServer starts a throwaway embedded PostgreSQL for one diff, for when
// no dev database URL is configured (`app db diff`, cmd/dbdiff). It returns
// the URL to pass to Diff and the function that stops the server and
// removes its files.
func DevServer(ctx context.Context, log *zap.Logger) (url string, stop func(), err error) {
	dir, err := os.MkdirTemp("", "central-diff-")
	if err != nil {
		return "", nil, fmt.Errorf("create a directory for the dev database: %w", err)
	}
	// When we run as root, postgres runs as the postgres user and must be
	// able to reach its data directory inside this one.
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	srv, err := pgserver.Start(ctx, pgserver.Config{DataDir: filepath.Join(dir, "pg"), Ephemeral: true, Logger: log})
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("start a dev database for the diff: %w", err)
	}
	return srv.URL(pgserver.RoleReadWrite, pgserver.Database), func() {
		_ = srv.Stop(context.WithoutCancel(ctx))
		os.RemoveAll(dir)
	}, nil
}
