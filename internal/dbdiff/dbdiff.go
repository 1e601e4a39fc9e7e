package dbdiff

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"go.uber.org/zap"

	entmigrate "github.com/central/central/ent/migrate"
	"github.com/central/central/internal/migrate"
	"github.com/central/central/internal/schemadiff"
)

// Environment variables read when the corresponding flag is empty.
const (
	EnvDevURL   = "DEV_DATABASE_URL"
	EnvApplyURL = "DBDIFF_APPLY_URL"
)

// applyTimeout bounds the apply's wait for the migration lock.
const applyTimeout = 5 * time.Minute

// Options are one diff run.
type Options struct {
	Dir              string // the Atlas migration directory
	DevURL           string // dev server for the replay; "" starts a throwaway embedded PostgreSQL
	ApplyURL         string // after writing, apply pending migrations here; "" applies nothing
	AllowDestructive bool
	Name             string      // the new migration's name, e.g. add_projects
	Logger           *zap.Logger // the embedded dev server's logger; nil is a no-op logger
	Operator         string      // recorded with an apply, e.g. "central dbdiff"
}

// Flags registers the command's flags on fs and returns the options they
// fill; call [Options.Resolve] after parsing.
func Flags(fs *flag.FlagSet) *Options {
	o := &Options{}
	fs.StringVar(&o.Dir, "dir", "migrations", "migration directory")
	fs.StringVar(&o.DevURL, "dev-url", "", "dev database server URL for the replay (default: $"+EnvDevURL+", else a throwaway embedded PostgreSQL; the role needs CREATEDB)")
	fs.BoolVar(&o.AllowDestructive, "allow-destructive", false, "allow dropping tables, columns and indexes")
	fs.StringVar(&o.ApplyURL, "apply", "", "after writing, apply pending migrations to this database URL (default: $"+EnvApplyURL+"; none when empty)")
	return o
}

// ErrUsage is matched by the errors of [Options.Resolve]: the command line
// cannot be acted on.
var ErrUsage = errors.New("dbdiff: usage")

// Resolve takes the migration name from the positional arguments and
// fills empty URLs from the environment (lookup is os.LookupEnv in main).
func (o *Options) Resolve(args []string, lookup func(string) (string, bool)) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: exactly one NAME for the migration is needed, e.g. add_projects", ErrUsage)
	}
	o.Name = args[0]
	for _, v := range []struct {
		dst *string
		env string
	}{{&o.DevURL, EnvDevURL}, {&o.ApplyURL, EnvApplyURL}} {
		if *v.dst == "" {
			*v.dst, _ = lookup(v.env)
		}
	}
	return nil
}

// Run writes the next migration (or reports that there is nothing to
// write) to stdout, then applies pending migrations when o.ApplyURL is set.
func Run(ctx context.Context, stdout io.Writer, o Options) error {
	if _, err := os.Stat(filepath.Join(o.Dir, "atlas.sum")); err != nil {
		return fmt.Errorf("no Atlas directory at %s (run from the repository root or pass --dir): %w", o.Dir, err)
	}
	devURL := o.DevURL
	if devURL == "" {
		log := o.Logger
		if log == nil {
			log = zap.NewNop()
		}
		url, stop, err := schemadiff.DevServer(ctx, log)
		if err != nil {
			return err
		}
		defer stop()
		devURL = url
	}
	res, err := schemadiff.Diff(ctx, devURL, o.Dir, entmigrate.Tables, o.Name,
		schemadiff.AllowDestructive(o.AllowDestructive), schemadiff.RowSecurity(entmigrate.Entities()))
	if err != nil {
		var de *schemadiff.DestructiveError
		if errors.As(err, &de) {
			return fmt.Errorf("%w\nwrite the change in two steps, or pass --allow-destructive if the data may go", err)
		}
		return err
	}
	fmt.Fprintln(stdout, res)
	if o.ApplyURL == "" {
		return nil
	}
	return apply(ctx, stdout, o)
}

func apply(ctx context.Context, stdout io.Writer, o Options) error {
	db, err := sql.Open("pgx", o.ApplyURL)
	if err != nil {
		return fmt.Errorf("open the database to apply to: %w", err)
	}
	defer db.Close()
	op := o.Operator
	if op == "" {
		op = "central dbdiff"
	}
	m, err := migrate.New(db, os.DirFS(o.Dir), migrate.WithProgress(stdout), migrate.WithOperatorVersion(op))
	if err != nil {
		return err
	}
	applied, err := m.UpDetached(ctx, applyTimeout)
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	if len(applied.Applied) == 0 {
		fmt.Fprintln(stdout, "the database is up to date: no pending migration")
	}
	return nil
}
