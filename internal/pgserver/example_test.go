package pgserver_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"

	"github.com/central/central/internal/pgserver"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "pgserver-example-")
	os.Chmod(dir, 0o755) // reachable by the postgres user when we run as root
	defer os.RemoveAll(dir)

	srv, err := pgserver.Start(ctx, pgserver.Config{DataDir: filepath.Join(dir, "pg"), Ephemeral: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Stop(ctx)

	conn, err := pgx.Connect(ctx, srv.URL(pgserver.RoleReadOnly, pgserver.Database))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close(ctx)
	var user, readOnly string
	conn.QueryRow(ctx, "SELECT current_user, current_setting('default_transaction_read_only')").Scan(&user, &readOnly)
	fmt.Println(user, readOnly)
	// Output: central_ro on
}
