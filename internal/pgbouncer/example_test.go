package pgbouncer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"

	"github.com/central/central/internal/pgbouncer"
	"github.com/central/central/internal/pgserver"
)

// Example puts a PgBouncer in front of the package's test cluster (any
// pgserver.Server) and connects through it.
func Example() {
	ctx := context.Background()
	srv := cluster.srv
	dir, _ := os.MkdirTemp(cluster.dir, "example-")
	os.Chmod(dir, 0o755) // reachable by the postgres user when we run as root

	b, err := pgbouncer.Start(ctx, pgbouncer.Config{
		DataDir:      filepath.Join(dir, "pgbouncer"),
		UpstreamPort: srv.Port(),
		Users:        map[string]string{string(pgserver.RoleReadWrite): srv.Password(pgserver.RoleReadWrite)},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Stop(ctx)

	pooled, _ := b.URL(srv.URL(pgserver.RoleReadWrite, pgserver.Database))
	cfg, _ := pgx.ParseConfig(pooled)
	// No server-side prepared statements: the next transaction may run on
	// another server session.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close(ctx)
	var user string
	var n int
	conn.QueryRow(ctx, "SELECT current_user, $1::int + 1", 41).Scan(&user, &n)
	fmt.Println(user, n, b.PoolSize())
	// Output: central 42 2
}
