// Package rekey re-encrypts every sealed column value under the keyring's
// current key and binds it to its row. It is the job behind `app db
// rekey`, run after a new key becomes current, and after an upgrade from
// version 1 envelopes (which predate place binding; see internal/sensitive).
//
// # Which columns
//
// The job walks a list of []entmeta.SealedColumn with one generic loop: no
// code per table. The list is derived from ent/schema (ent.SealedColumns),
// and so is each column's tenancy (ent.Entities); no list is kept by hand.
//
// # Row-level security
//
// The job runs as the app's role, which row-level security (FORCE) confines
// to the tenant set on each statement: with none set, a tenant-owned table
// shows no row. So a column of a tenant-owned entity is walked tenant by
// tenant (the global table tenants, by ID): its count, batch reads, copy
// check and UPDATEs run with tenantctx.With(ctx, tenant), which the pgx
// driver sends with each statement in the same round trip, and each also
// names the tenant in its WHERE clause, so a tenant's batch touches that
// tenant's rows only even for a role that bypasses the policies. A global
// entity's column is walked whole. The job therefore talks to the driver's
// dialect-level Exec and Query (db.DB.Driver), never database/sql's
// QueryContext, which cannot carry the tenant (the pgx driver refuses it).
// New refuses columns it could not reach under the policies: those of an
// entity owned through its parent (no tenant column to scope a batch by)
// and those of an entity whose tenant may be NULL.
//
// # How it works
//
// For each column, rows whose envelope is not a version 2 envelope under
// the current key are selected in PostgreSQL (the envelope's v, kid and
// kver are JSONB fields), walked by primary key (keyset pagination) in
// batches. Each batch is read with one SELECT, re-encrypted in parallel
// without decoding (sensitive.RekeyAt, Sealed[json.RawMessage]) and written
// with one set-based UPDATE ... FROM unnest(ids, row versions, new
// values), which writes a row only if it is still the version read (its
// xmin): a concurrent write (sealed under the current key already) is left
// as written and counted as skipped. While one batch is written the next is
// read and re-encrypted. No transaction or lock is held while encrypting;
// updated_at and every other column are untouched. Identifiers come from
// the list and are quoted. A progress line is written per batch.
//
// Before upgrading a column's version 1 values the job looks for one
// envelope stored in several rows, of one tenant or of several: a version 1
// envelope is not bound to its row, so binding each copy where it sits
// would make every copy valid. It refuses such a column (*CopiedValuesError)
// and changes nothing in it. The count that starts each column also counts
// its version 1 values, so this look (a scan of its own) runs only in the
// tenants that hold some. Since no tenant's scope sees another's rows,
// it reads a 16-byte digest of every version 1 value, tenant by tenant, and
// compares them in memory (about 50 bytes per version 1 value, which exist
// only until the first run after an upgrade).
//
// # Resuming
//
// A run can be interrupted at any time: each batch is one statement, so it
// is written entirely or not at all; values already done are never
// selected, so the next run continues with what is left. A value that
// cannot be opened (its key missing from the keyring, the wrong key
// material, a tampered envelope, an envelope copied from another row) stops
// the run with an error naming the row and key; that batch is not written.
// Keep old keys configured until a run finishes with no error.
//
// # Speed
//
// BenchmarkRekey measures rows/s and peak RSS growth at any size on a
// durable cluster (fsync on); see bench_test.go for the command.
//
// # Usage
//
//	job, err := rekey.New(logger, database.Driver(), keyring, ent.SealedColumns(), ent.Entities())
//	if err != nil {
//		return err
//	}
//	stats, err := job.Rekey(ctx, os.Stdout, 0) // 0: DefaultBatchSize
package rekey
