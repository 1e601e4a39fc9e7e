// Package gosteps is the app's table of Go data migrations: code that runs
// after the SQL file of its version, with the app's services, exactly once
// across concurrent boots, under the migration lock (see
// internal/migrate.GoStep for the guarantees).
//
// # Adding a step
//
// A step lives beside the SQL it follows: one file named after that SQL
// file's version, <version>_<name>.go, defining the function, and one entry
// in Steps(). There is no init() registration: the table is the registry,
// and the migrator refuses a step whose version has no SQL file, as it
// refuses a database recording a step this binary lacks. The atlas CLI
// never sees these files (it reads the *.sql of the parent directory), and
// atlas.sum does not change.
//
// A step that can touch many rows is a Batch: each call does one batch after
// a cursor in its own transaction, which also commits the cursor, so a long
// step reports progress and an interrupted one resumes where it stopped.
//
//	{Version: "20261201010516", Name: "backfill_profile_locale", Batch: BackfillProfileLocale(DefaultLocale, 1000)}
//
// A step's ctx carries its transaction: Deps.Services and Deps.DB.Writer(ctx)
// join it, so the step's writes and its ledger row commit together. Raw SQL
// goes through ent (typed queries, the tenant scope) or the transaction's
// pgx connection (Deps.DB.WithTxConn): the app's native pgx driver has no
// database/sql QueryContext inside a transaction.
//
// # Tenant-owned rows
//
// Tenant-owned tables are under row-level security, FORCE'd for the app's
// own role: a statement without a tenant sees none of their rows. A step
// that works across tenants walks the tenants (a global table) and does
// each tenant's batches with that tenant set (tenantctx.With for ent; the
// setting itself on a raw connection), naming the tenant in the statement
// too (a step may run before the migration that enables row-level
// security); its cursor then holds the tenant and the position in it. See
// BackfillProfileLocale.
package gosteps
