// Package migrate applies an Atlas versioned migration directory to a
// PostgreSQL database at boot, safely when many instances boot at once.
//
// # Directory
//
// The directory is an fs.FS (usually the embed.FS of the repository's
// migrations package) holding <version>_<name>.sql files and atlas.sum, in
// the atlas CLI's format. The package never reads OS paths itself.
//
// # Guarantees
//
//   - atlas.sum is verified before anything runs; an added, edited or
//     removed file is refused with a *DirError naming it (ErrDirTampered).
//   - A file the database already applied whose content changed since is
//     refused with a *ChangedError (ErrAppliedFileChanged); atlas itself
//     misses this (ariga/atlas#2243).
//   - An applied version the directory does not contain is refused with
//     ErrDatabaseNewer; an unapplied file sorting before the latest applied
//     version with ErrOutOfOrder.
//   - A database with tables but no revisions is refused (ErrNotClean)
//     unless adopted with WithBaseline, as the CLI's --baseline.
//   - When nothing is pending, Up reads the revisions and returns: no lock.
//     Otherwise it takes a session advisory lock on a dedicated connection
//     (the same lock as `atlas migrate apply`), waiting at most the lock
//     timeout (ErrLockTimeout), re-checks, and applies what is still pending.
//     Of N instances booting at once, one applies and the others find the
//     schema current.
//   - Each file runs through atlas's Executor in its own transaction, its
//     revision written in the same transaction (the CLI's --tx-mode file).
//     A failing statement rolls the whole file back, nothing is recorded,
//     and Up returns an *ApplyError with the file, line and statement; the
//     next run retries the file. A file starting with the CLI directive
//     "-- atlas:txmode none" runs without a transaction (needed for e.g.
//     CREATE INDEX CONCURRENTLY) and, like the CLI, records partial progress.
//
// # Go data migrations
//
// WithGoSteps adds Go steps: a GoStep names the version of the SQL file it
// follows and does its work in a transaction the app opens (StepTx), so the
// app's services join it. Up runs each pending step right after its
// version's SQL and before the next file (a step left pending by a failed
// run goes before any later SQL), under the same migration lock, exactly
// once across concurrent boots, and records it in the ledger
// <revisions schema>.central_go_steps in the step's transaction. The
// runner creates the ledger when a step first runs; the directory stays
// plain SQL, so the atlas CLI and atlas.sum never see Go steps.
//
//   - A step whose version has no SQL file is refused (ErrGoStepNoSQL), and
//     so is a database recording a step the binary lacks (ErrGoStepMissing).
//   - A failing or panicking Run step rolls back; nothing is recorded and
//     the next Up retries it (*GoStepError).
//   - A Batch step commits each batch with its cursor; an interruption
//     loses the batch in flight only and the next Up resumes after the
//     last committed cursor, printing progress as it goes.
//   - Status reports the steps (Report.GoSteps) and Report.WouldRun lists
//     the SQL files and steps Up would run, in order.
//
// # Revisions
//
// Revisions live in atlas_schema_revisions.atlas_schema_revisions, the table
// and columns the atlas CLI uses for a connection without search_path, with
// its write semantics, so `atlas migrate status --dir file://migrations
// --url postgres://...` agrees with Status.
//
// # Usage
//
//	res, err := migrate.Up(ctx, db, migrations.FS, migrate.WithProgress(os.Stdout))
//	st, err := migrate.Status(ctx, db, migrations.FS)
//	fmt.Print(st)
//
// # Boot under fx
//
// An fx OnStart hook's context expires with fx's start timeout (15s by
// default). Run the migration with its own bound instead, and raise
// fx.StartTimeout above it, since fx gives up on a hook that outlives it:
//
//	lc.Append(fx.Hook{OnStart: func(ctx context.Context) error {
//		_, err := m.UpDetached(ctx, cfg.MigrateTimeout)
//		return err
//	}})
package migrate
