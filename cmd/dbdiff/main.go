package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"go.uber.org/zap"

	"github.com/central/central/ent"
	entmigrate "github.com/central/central/ent/migrate"
	"github.com/central/central/internal/migrate"
	"github.com/central/central/internal/schemadiff"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}

const usage = `usage: dbdiff [flags] NAME

Write the next migration from ent/schema into the migrations directory and
rewrite atlas.sum (run from the repository root after go generate ./ent).
Destructive changes are refused unless --allow-destructive.

flags:
`

// run is main without the process: testable, and every failure is an exit
// code with a message on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	fs := flag.NewFlagSet("dbdiff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	dir := fs.String("dir", "migrations", "migration directory")
	devURL := fs.String("dev-url", "", "dev database server URL for the replay (default: $DEV_DATABASE_URL, else a throwaway embedded PostgreSQL)")
	allow := fs.Bool("allow-destructive", false, "allow dropping tables, columns and indexes")
	apply := fs.String("apply", "", "after writing, apply pending migrations to this database URL (default: $DBDIFF_APPLY_URL; none when empty)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "dbdiff needs exactly one NAME for the migration, e.g. add_projects")
		fs.Usage()
		return 2
	}
	env := func(v *string, name string) {
		if *v == "" {
			*v, _ = lookup(name)
		}
	}
	env(devURL, "DEV_DATABASE_URL")
	env(apply, "DBDIFF_APPLY_URL")
	if err := diff(ctx, stdout, *dir, *devURL, *apply, fs.Arg(0), *allow); err != nil {
		fmt.Fprintln(stderr, "dbdiff:", err)
		return 1
	}
	return 0
}

func diff(ctx context.Context, stdout io.Writer, dir, devURL, applyURL, name string, allow bool) error {
	if _, err := os.Stat(filepath.Join(dir, "atlas.sum")); err != nil {
		return fmt.Errorf("no Atlas directory at %s (run from the repository root or pass --dir): %w", dir, err)
	}
	if devURL == "" {
		var stop func()
		var err error
		if devURL, stop, err = schemadiff.DevServer(ctx, zap.NewNop()); err != nil {
			return err
		}
		defer stop()
	}
	res, err := schemadiff.Diff(ctx, devURL, dir, entmigrate.Tables, name, schemadiff.AllowDestructive(allow), schemadiff.RowSecurity(ent.Entities()))
	if err != nil {
		var de *schemadiff.DestructiveError
		if errors.As(err, &de) {
			return fmt.Errorf("%w\nwrite the change in two steps, or pass --allow-destructive if the data may go", err)
		}
		return err
	}
	fmt.Fprintln(stdout, res)
	if applyURL == "" {
		return nil
	}
	db, err := sql.Open("pgx", applyURL)
	if err != nil {
		return fmt.Errorf("open the database to apply to: %w", err)
	}
	defer db.Close()
	m, err := migrate.New(db, os.DirFS(dir), migrate.WithProgress(stdout), migrate.WithOperatorVersion("central dbdiff"))
	if err != nil {
		return err
	}
	applied, err := m.UpDetached(ctx, 5*time.Minute)
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	if len(applied.Applied) == 0 {
		fmt.Fprintln(stdout, "the database is up to date: no pending migration")
	}
	return nil
}
