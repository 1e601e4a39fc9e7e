// Package rekey re-encrypts every sealed column value (users.idp_user_info,
// oidc_connectors.state) under the keyring's current key. It is the job
// behind `app db rekey`, run after a new key becomes current.
//
// # How it works
//
// For each column, rows whose envelope names another key are selected in
// PostgreSQL (the envelope's kid and kver are JSONB fields), walked by
// primary key in batches, each batch in its own transaction with the rows
// locked FOR UPDATE. Values are re-encrypted without being decoded
// (sensitive.Rekey) and written back with updated_at unchanged. A progress
// line is written per batch.
//
// # Resuming
//
// A run can be interrupted at any time: committed batches stay, and since
// values under the current key are never selected, the next run continues
// with what is left. A value that cannot be opened (its key missing from the
// keyring, the wrong key material, a tampered envelope) stops the run with
// an error naming the row and key; that batch is rolled back. Keep old keys
// configured until a run finishes with no error.
//
// # Usage
//
//	job, err := rekey.New(logger, database, keyring)
//	if err != nil {
//		return err
//	}
//	stats, err := job.Rekey(ctx, os.Stdout, 0) // 0: DefaultBatchSize
package rekey
