// Package rekey re-encrypts every sealed column value under the keyring's
// current key and binds it to its row. It is the job behind `app db
// rekey`, run after a new key becomes current, and after an upgrade from
// version 1 envelopes (which predate place binding; see internal/sensitive).
//
// # Which columns
//
// The job walks a list of []entmeta.SealedColumn with one generic loop: no
// code per table. The list is derived from ent/schema (ent.SealedColumns);
// until that generator lands, SealedColumns in this package is its one
// stand-in (see its merge note).
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
// envelope stored in several rows: a version 1 envelope is not bound to its
// row, so binding each copy where it sits would make every copy valid. It
// refuses such a column (*CopiedValuesError) and changes nothing in it.
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
//	job, err := rekey.New(logger, database.Client(), keyring, ent.SealedColumns())
//	if err != nil {
//		return err
//	}
//	stats, err := job.Rekey(ctx, os.Stdout, 0) // 0: DefaultBatchSize
package rekey
