// Package seedengine applies environment seed files to the database: once
// each, in file-name order, each in one transaction with its row in the
// seeds ledger, guarded by SHA-256 hashes, an environment stamp and an
// advisory lock. It is generic in what seeds receive (Runner[D], Func[D])
// and knows nothing of the app's database module or services: the app's
// binding is internal/seed.
//
// # Seed files
//
// A seed is one Go file of a seed package (the app's are
// internal/seed/development and internal/seed/production) defining a
// Func[D]: it receives a context carrying the seed's transaction and the
// dependencies D (the app's services, which join that transaction). The seed's name is its file name without ".go". Each package
// embeds its own sources (//go:embed *.go) and lists its functions in one
// table (Seeds() AppSet); Set.Load hashes every seed file and refuses a file
// without a function, a function without a file, and, in production, a file
// without the PROD prefix (*SetError, ErrInvalidSet). doc.go, seeds.go and
// tests are not seeds (IsSeedFile).
//
// # Ledger and environment
//
// Each applied seed is a row of the seeds table: name, environment, SHA-256
// of its file, applied_at, duration_ms, app_version; unique per (name,
// environment). The first applied seed stamps the database in app_meta
// (key "seed_environment"). Development and test run the development set,
// production the production set.
//
// # Guarantees
//
//   - An applied seed never runs again.
//   - An applied seed whose file changed is refused with a *ChangedError
//     (ErrChanged) naming the seed and both hashes; seeds are immutable once
//     applied: revert the file and add a new seed. In development only,
//     WithChanged(config.SeedChangedWarn) (SEED_CHANGED=warn) downgrades it
//     to a warning.
//   - A seed in the ledger but not in the binary is a *MissingError
//     (ErrMissing) in production and a warning elsewhere.
//   - A pending seed sorting before the latest applied one is refused with
//     an *OutOfOrderError (ErrOutOfOrder) unless WithOutOfOrder(true)
//     (SEED_ALLOW_OUT_OF_ORDER).
//   - A database stamped for another environment is refused with an
//     *EnvironmentMismatchError (ErrEnvironmentMismatch) by Run, DryRun and
//     Status, like Rails' EnvironmentMismatchError.
//   - Each seed is atomic: its work and its ledger row commit in one
//     transaction (services' Tx methods nest as savepoints). A failing or
//     panicking seed leaves nothing and stops the run (*SeedError); the
//     seeds before it stay applied.
//   - Concurrent boots: Run first checks without a lock; only when something
//     is pending does it take a session advisory lock on a dedicated
//     connection, check again and apply what is still pending. Each seed is
//     applied exactly once.
//
// # Usage
//
//	r, err := seedengine.New(database, config.Development, set, deps,
//		seedengine.WithProgress(os.Stdout), seedengine.WithAppVersion(version))
//	rep, err := r.Run(ctx, seedengine.RunOptions{})   // app db seed
//	rep, err = r.DryRun(ctx)                          // app db seed --dry-run: rep.Pending
//	rows, err := r.Status(ctx)                        // app db seed status
//
// Database is a small interface (WithTx, Writer, Conn); the app's binding
// adapts its *db.DB (internal/seed.FromDB). Long seeds report through
// Progress(ctx) and bulk-load with CopyFrom (PostgreSQL COPY in the seed's
// transaction). RunDetached bounds a run by its own timeout rather than
// by the caller's context (an fx OnStart hook's).
package seedengine
