// Package pgxdriver is an ent dialect.Driver over a pgx/v5 *pgxpool.Pool,
// without database/sql.
//
// ent's generated code talks to its driver through two calls, Exec (v is a
// *sql.Result or nil) and Query (v is an *entsql.Rows), and scans rows through
// entsql.ColumnScanner: the methods of *sql.Rows. database/sql boxes every
// column into a driver.Value and converts it again in Rows.Scan; this driver
// hands ent's scan targets to pgx instead, which decodes the wire value
// straight into them. The common targets ent generates (*sql.NullString,
// *sql.NullInt64, *sql.NullTime, *sql.NullBool, *sql.NullFloat64) are
// converted, without allocating, to types that implement pgx's scanner
// interfaces (pgtype.TextScanner, ...), so text and timestamps are read
// without an intermediate interface value. Any other target (our rich IDs,
// which implement pgtype.UUIDScanner; *[]byte for JSON; sql.Scanner) goes to
// pgx as is.
//
// Differences from ent's database/sql driver, all deliberate:
//
//   - Result.LastInsertId returns an error (PostgreSQL has none; ent uses
//     RETURNING).
//   - Rows.ColumnTypes returns an error: database/sql's *sql.ColumnType cannot
//     be built outside database/sql. ent only calls it (through
//     entsql.ScanTypeOf) for columns it does not know, and falls back to
//     scanning into *any.
//   - QueryContext (ent's sql/execquery feature, returning *sql.Rows) works on
//     the Driver only when it was given a database/sql view of the same pool
//     (WithDatabaseSQL), and never inside a transaction: use ent's typed
//     queries, or the transaction's *pgx.Conn (Tx.Conn). ExecContext works
//     everywhere.
//   - A transaction does not roll back by itself when its BeginTx context
//     ends, as database/sql's does; its owner commits or rolls it back.
//     Rollback after the end returns an error matching both sql.ErrTxDone
//     and pgx.ErrTxClosed.
//
// Tenant statements: when a statement's context carries a tenant
// (internal/tenantctx), the driver sends SELECT set_config('app.tenant_id',
// $1, true) and the statement as one pgx batch: one round trip, and, outside
// a transaction, one implicit transaction, so the setting that row-level
// security reads covers exactly that statement and never outlives it (safe
// behind a transaction-pooling PgBouncer). Rows of such a query release the
// batch when closed. Inside a transaction the pair is sent the same way for
// every tenant statement; every entry point (Exec, Query, ExecContext, on
// the Driver and on a Tx) does so (TestTenantEveryEntryPoint). On the wire a
// tenant statement is one round trip: Bind and Execute of set_config, Bind
// and Execute of the statement, one Sync. Its cost is that second statement
// on the server, which raw pgx sending the same batch pays too
// (BenchmarkRowSecurity in internal/db measures both in one loop). Raw
// statements on Tx.Conn carry no tenant: they see what the transaction last
// set, or no tenant-owned row at all.
// QueryContext's database/sql view cannot carry one either, so it refuses a
// context with a tenant (ErrTenantQueryContext) instead of dropping it.
//
// The driver does not own the pool: Close is a no-op and the pool's owner
// closes it.
package pgxdriver
