package faultdb_test

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/faultdb"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestFaults: a fault fails exactly the Nth matching statement, once, and
// everything else reaches the server; a failed COMMIT leaves nothing
// committed and the session usable. Bugs caught: N ignored (the first
// match fails), a fault firing twice, Fired not set, a "failed" COMMIT
// that committed, statements not reaching the server.
func TestFaults(t *testing.T) {
	ctx := context.Background()
	tdb := dbtest.New(t, dbtest.Empty())
	second := &faultdb.Fault{Match: regexp.MustCompile(`^INSERT`), N: 2}
	commit := &faultdb.Fault{Match: regexp.MustCompile(`^` + faultdb.Commit + `$`)}
	db, err := faultdb.OpenDB(tdb.URL, second, commit)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (n int)"); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{false, true, false} {
		_, err := db.ExecContext(ctx, "INSERT INTO t VALUES ($1)", i)
		if got := errors.Is(err, faultdb.ErrInjected); got != want {
			t.Errorf("insert %d: err %v, want injected %v", i, err, want)
		}
	}
	if !second.Fired() || commit.Fired() {
		t.Errorf("fired: insert %v (want true), commit %v (want false)", second.Fired(), commit.Fired())
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO t VALUES (9)"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); !errors.Is(err, faultdb.ErrInjected) {
		t.Fatalf("Commit: %v, want the injected failure", err)
	}
	var n, sum int
	if err := db.QueryRowContext(ctx, "SELECT count(*), coalesce(sum(n), 0) FROM t").Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	if n != 2 || sum != 2 { // rows 0 and 2: not the failed insert, not the rolled-back 9
		t.Errorf("table has %d rows summing to %d, want 2 rows (0 and 2)", n, sum)
	}
}

// TestFaultAfter: a fault with After counts only the statements after the
// first one matching After. Bug caught: After ignored (the first match
// before it fails).
func TestFaultAfter(t *testing.T) {
	ctx := context.Background()
	tdb := dbtest.New(t, dbtest.Empty())
	f := &faultdb.Fault{Match: regexp.MustCompile(`^SELECT 1`), After: regexp.MustCompile(`^SELECT 2`)}
	db, err := faultdb.OpenDB(tdb.URL, f)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i, q := range []string{"SELECT 1", "SELECT 2", "SELECT 1", "SELECT 1"} {
		_, err := db.ExecContext(ctx, q)
		if got, want := errors.Is(err, faultdb.ErrInjected), i == 2; got != want {
			t.Errorf("statement %d (%s): err %v, want injected %v", i, q, err, want)
		}
	}
}
