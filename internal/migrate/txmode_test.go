package migrate_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/central/central/internal/migrate"
)

// A file with the atlas CLI's "txmode none" directive runs without a
// transaction: like the CLI, a failure records partial progress with the
// error, and the next run continues after the applied statements.
func TestUpTxModeNoneRecordsPartialProgress(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	base := firstN(t, loadFS(t, "testdata/basic"), 1)
	const name = "20260101000002_concurrently.sql"
	bad := "-- atlas:txmode none\n\nCREATE INDEX CONCURRENTLY \"accounts_name\" ON \"accounts\" (\"name\");\nINSERT INTO \"missing\" VALUES (1);\nINSERT INTO \"migration_log\" (\"version\") VALUES ('20260101000002');\n"
	dir := rehash(t, with(base, name, &bad))

	_, err := migrate.Up(ctx, db, dir)
	var ae *migrate.ApplyError
	if !errors.As(err, &ae) || ae.File != name || ae.Line != 4 {
		t.Fatalf("err = %v, want *ApplyError at %s:4", err, name)
	}
	st, err := migrate.Status(ctx, db, dir)
	if err != nil {
		t.Fatal(err)
	}
	last := st.Applied[len(st.Applied)-1]
	if last.Statements != 1 || last.Total != 3 || !strings.Contains(last.Error, "missing") || !strings.Contains(last.ErrorStatement, "missing") {
		t.Fatalf("partial revision %+v", last)
	}
	if len(st.Pending) != 1 || st.Pending[0].Name != name || st.Current != "20260101000001" {
		t.Fatalf("status %+v", st)
	}

	// Fix the failing statement (the applied one stays): the run continues.
	fixed := strings.Replace(bad, `INSERT INTO "missing" VALUES (1);`, `SELECT 1;`, 1)
	res, err := migrate.Up(ctx, db, rehash(t, with(base, name, &fixed)))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != 1 || res.Applied[0].Statements != 2 {
		t.Fatalf("continued run %+v: want the 2 remaining statements", res.Applied)
	}
	if got := queryStrings(t, db, `SELECT version FROM migration_log ORDER BY 1`); !slices.Equal(got, []string{"20260101000001", "20260101000002"}) {
		t.Fatalf("migration_log %v", got)
	}

	// Editing an already applied statement of a partial file is refused by
	// atlas's per-statement check.
	db2, _ := newDB(t)
	if _, err := migrate.Up(ctx, db2, dir); err == nil {
		t.Fatal("broken file applied")
	}
	edited := strings.Replace(bad, `"accounts_name"`, `"accounts_name2"`, 1)
	if _, err := migrate.Up(ctx, db2, rehash(t, with(base, name, &edited))); err == nil || !strings.Contains(err.Error(), "history changed") {
		t.Fatalf("edited applied statement: err = %v", err)
	}
}

// UpDetached ignores the caller's cancellation (fx's start deadline) but
// keeps its own bound.
func TestUpDetached(t *testing.T) {
	db, _ := newDB(t)
	m, err := migrate.New(db, loadFS(t, "testdata/basic"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Up(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Up on a canceled context: %v", err)
	}
	res, err := m.UpDetached(ctx, 0)
	if err != nil || len(res.Applied) != 3 {
		t.Fatalf("UpDetached: %+v, %v", res, err)
	}
}
