package db_test

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/central/central/internal/dbtest"
)

// TestReadOnlyPoolIsReadOnlyByItself points the read-only pool at the owner
// role, which may write and has no role-level default_transaction_read_only:
// the only thing left between a write and the database is the pool's own
// session setting, and it must refuse the write (SQLSTATE 25006).
//
// Deliberate bug it catches: dropping
// cc.RuntimeParams["default_transaction_read_only"] = "on" from applyRuntimeParams.
// TestReadOnlyPoolRefusesWrites cannot see that bug: its read-only role
// carries the same setting (ALTER ROLE ... SET in dbtest) and lacks grants.
// (With the bug, Open fails first: the replica router refuses a read-only
// driver whose transactions are not read-only. Either way this test fails.)
func TestReadOnlyPoolIsReadOnlyByItself(t *testing.T) {
	tdb := dbtest.New(t)
	pg := pgConfig(tdb)
	pg.ReadOnly.URL = pg.ReadWrite.URL // the owner: may write, no role setting
	d, _ := openOn(t, pg)
	ctx := ctxT(t)

	// The role itself is not read-only: a write through the read-write
	// pool, same role, works.
	var roleSetting string
	if err := d.Pools().ReadWrite.QueryRowContext(ctx, "SELECT current_setting('default_transaction_read_only')").Scan(&roleSetting); err != nil {
		t.Fatal(err)
	}
	if roleSetting != "off" {
		t.Fatalf("the owner role's sessions default to read_only=%s; this test needs a role that is not read-only", roleSetting)
	}
	insert := "INSERT INTO tenants (id, slug, display_name) VALUES (gen_random_uuid(), 'acme', 'Acme')"
	if _, err := d.Pools().ReadWrite.ExecContext(ctx, insert); err != nil {
		t.Fatalf("the owner cannot write through the read-write pool: %v", err)
	}

	for _, stmt := range []string{
		"INSERT INTO tenants (id, slug, display_name) VALUES (gen_random_uuid(), 'evil', 'Evil')",
		"UPDATE tenants SET display_name = 'Evil'",
		"DELETE FROM tenants",
		"CREATE TABLE evil (id int)",
	} {
		_, err := d.Pools().ReadOnly.ExecContext(ctx, stmt)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
			t.Errorf("%s through the read-only pool: err = %v, want SQLSTATE 25006 (read_only_sql_transaction)", stmt, err)
		}
	}
	var n int
	if err := d.Pools().ReadWrite.QueryRowContext(ctx, "SELECT count(*) FROM tenants WHERE display_name = 'Acme'").Scan(&n); err != nil || n != 1 {
		t.Errorf("after the refused writes: %d tenants named Acme (err %v), want 1", n, err)
	}
}
