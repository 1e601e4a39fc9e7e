package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"go.uber.org/fx"

	"github.com/central/central/ent"
	"github.com/central/central/internal/app"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbdiff"
	"github.com/central/central/internal/migrate"
	"github.com/central/central/internal/rekey"
	"github.com/central/central/internal/seed"
	"github.com/central/central/internal/seedengine"
	"github.com/central/central/internal/sensitive"
)

// withApp starts the application without its HTTP server and boot hooks,
// fills targets (as fx.Populate does), runs fn and stops everything.
func withApp(ctx context.Context, rt *runtime, extra fx.Option, fn func(ctx context.Context) error, targets ...any) error {
	return rt.withEnv(ctx, func(env *app.Env) (err error) {
		// The start must outlast the pools' ping retries, or fx reports its
		// own "context deadline exceeded" instead of the ping's error.
		a := fx.New(app.Options(env), extra, fx.Populate(targets...), fx.StartTimeout(db.StartPingTimeout+time.Minute))
		if err := a.Err(); err != nil {
			return fmt.Errorf("assemble the application: %w", err)
		}
		startCtx, cancel := context.WithTimeout(ctx, a.StartTimeout())
		defer cancel()
		if err := a.Start(startCtx); err != nil {
			return fmt.Errorf("start: %w", err)
		}
		defer func() {
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.StopTimeout())
			defer cancel()
			if serr := a.Stop(stopCtx); serr != nil && err == nil {
				err = serr
			}
		}()
		return fn(ctx)
	})
}

func migrateCommand() command {
	return command{
		name: "db migrate",
		help: "Apply pending migrations: the SQL files and, after each version's SQL, its Go data migration\n" +
			"(the same locked, checksummed apply the server runs at boot). --dry-run lists what would run.",
		flags: func(fs *flag.FlagSet) func(context.Context, *runtime, []string) error {
			dry := fs.Bool("dry-run", false, "check and list the pending migrations and Go steps without running them")
			return func(ctx context.Context, rt *runtime, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				var m *migrate.Migrator
				progress := fx.Supply(&app.MigrateProgress{Writer: rt.stdout})
				return withApp(ctx, rt, progress, func(ctx context.Context) error {
					if *dry {
						rep, err := m.Status(ctx)
						if err != nil {
							return err
						}
						if rep.Problem != nil {
							return rep.Problem
						}
						would := rep.WouldRun()
						if len(would) == 0 {
							fmt.Fprintln(rt.stdout, "the database is up to date: nothing would run")
							return nil
						}
						fmt.Fprintf(rt.stdout, "would run, in order:\n")
						for _, w := range would {
							fmt.Fprintln(rt.stdout, "  "+w)
						}
						return nil
					}
					res, err := m.UpDetached(ctx, rt.cfg.Migrate.Timeout)
					if err != nil {
						return err
					}
					if len(res.Applied) == 0 && len(res.GoSteps) == 0 {
						fmt.Fprintln(rt.stdout, "the database is up to date: no pending migration or Go step")
					}
					return nil
				}, &m)
			}
		},
	}
}

func statusCommand() command {
	return command{
		name: "db status",
		help: "Show applied migrations (with times) and pending ones, and the Go data migrations.",
		flags: func(fs *flag.FlagSet) func(context.Context, *runtime, []string) error {
			return func(ctx context.Context, rt *runtime, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				var m *migrate.Migrator
				return withApp(ctx, rt, fx.Options(), func(ctx context.Context) error {
					rep, err := m.Status(ctx)
					if err != nil {
						return err
					}
					fmt.Fprint(rt.stdout, rep.String())
					return rep.Problem
				}, &m)
			}
		},
	}
}

// diffCommand is an alias of cmd/dbdiff (the same internal/dbdiff flow and
// flags); `go run ./cmd/dbdiff` is faster to build since it does not link
// the server.
func diffCommand() command {
	return command{
		name:  "db diff",
		usage: " NAME",
		help: "Write the next migration from ent/schema into the migrations directory and rewrite atlas.sum.\n" +
			"The directory is replayed on a throwaway database: --dev-url (or DEV_DATABASE_URL; the role\n" +
			"needs CREATEDB) or else a throwaway embedded PostgreSQL. Run from the repository root after\n" +
			"`go generate ./ent`. Destructive changes (dropped tables, columns, indexes, narrowed types)\n" +
			"are refused unless --allow-destructive. Same as `go run ./cmd/dbdiff`, which builds faster.",
		flags: func(fs *flag.FlagSet) func(context.Context, *runtime, []string) error {
			o := dbdiff.Flags(fs)
			return func(ctx context.Context, rt *runtime, args []string) error {
				if err := o.Resolve(args, rt.lookup); err != nil {
					return usageError{"db diff needs exactly one NAME for the migration, e.g. add_user_locale"}
				}
				o.Logger, o.Operator = rt.logger.Named("pgserver"), "central "+version
				return dbdiff.Run(ctx, rt.stdout, *o)
			}
		},
	}
}

func seedCommand() command {
	return command{
		name: "db seed",
		help: "Run the pending seeds of APP_ENV's set (development or production), each in its own\n" +
			"transaction, under the seed lock. --dry-run checks everything and lists what would run.",
		flags: func(fs *flag.FlagSet) func(context.Context, *runtime, []string) error {
			dry := fs.Bool("dry-run", false, "check and list the pending seeds without running them")
			return func(ctx context.Context, rt *runtime, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				var r *seed.AppRunner
				progress := fx.Supply(&seed.ProgressWriter{Writer: rt.stdout})
				return withApp(ctx, rt, fx.Options(seed.RunnerModule, progress), func(ctx context.Context) error {
					rep, err := r.Run(ctx, seedengine.RunOptions{DryRun: *dry})
					for _, w := range rep.Warnings {
						fmt.Fprintln(rt.stderr, "warning:", w)
					}
					if err != nil {
						return err
					}
					switch {
					case *dry && len(rep.Pending) == 0, !*dry && len(rep.Applied) == 0:
						fmt.Fprintf(rt.stdout, "no pending %s seed\n", rep.Env)
					case *dry:
						fmt.Fprintf(rt.stdout, "would apply %d %s seed(s):\n", len(rep.Pending), rep.Env)
						for _, name := range rep.Pending {
							fmt.Fprintln(rt.stdout, "  "+name)
						}
					default:
						for _, a := range rep.Applied {
							fmt.Fprintf(rt.stdout, "applied %s\n", a.Name)
						}
					}
					return nil
				}, &r)
			}
		},
	}
}

func seedStatusCommand() command {
	return command{
		name: "db seed status",
		help: "Show every seed of APP_ENV's set and of the ledger: environment, applied at, hash ok.",
		flags: func(fs *flag.FlagSet) func(context.Context, *runtime, []string) error {
			return func(ctx context.Context, rt *runtime, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				var r *seed.AppRunner
				return withApp(ctx, rt, seed.RunnerModule, func(ctx context.Context) error {
					rows, err := r.Status(ctx)
					if err != nil {
						return err
					}
					tw := tabwriter.NewWriter(rt.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "NAME\tENVIRONMENT\tAPPLIED AT\tHASH")
					for _, row := range rows {
						applied, hash := row.AppliedAt.Format(time.RFC3339), "ok"
						switch {
						case row.Pending:
							applied, hash = "pending", "-"
						case row.Missing:
							hash = "missing from this binary"
						case !row.HashOK:
							hash = "CHANGED since applied"
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", row.Name, row.Environment, applied, hash)
					}
					return tw.Flush()
				}, &r)
			}
		},
	}
}

func rekeyCommand() command {
	return command{
		name: "db rekey",
		help: "Re-encrypt every sensitive value not sealed under the current key (SENSITIVE_CURRENT_KEY),\n" +
			"in batches, each its own transaction. Interrupting it loses nothing; run it again to resume.",
		flags: func(fs *flag.FlagSet) func(context.Context, *runtime, []string) error {
			batch := fs.Int("batch-size", rekey.DefaultBatchSize, fmt.Sprintf("rows per transaction (1 to %d)", rekey.MaxBatchSize))
			return func(ctx context.Context, rt *runtime, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				if *batch < 1 || *batch > rekey.MaxBatchSize {
					return usageError{fmt.Sprintf("--batch-size %d out of range 1 to %d", *batch, rekey.MaxBatchSize)}
				}
				var (
					d    *db.DB
					keys *sensitive.Keyring
				)
				return withApp(ctx, rt, fx.Options(), func(ctx context.Context) error {
					job, err := rekey.New(rt.logger, d.Driver(), keys, ent.SealedColumns(), ent.Entities())
					if err != nil {
						return err
					}
					stats, err := job.Rekey(ctx, rt.stdout, *batch)
					if err != nil {
						return err
					}
					fmt.Fprintf(rt.stdout, "rekeyed %d value(s) under %s\n", stats.Rekeyed(), keys.Current())
					return nil
				}, &d, &keys)
			}
		},
	}
}

func versionCommand() command {
	return command{
		name: "version",
		help: "Print the version.",
		flags: func(fs *flag.FlagSet) func(context.Context, *runtime, []string) error {
			return func(_ context.Context, rt *runtime, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				fmt.Fprintln(rt.stdout, "central", version)
				return nil
			}
		},
	}
}
