package seed_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/seed"
	"github.com/central/central/internal/seedengine"
)

// failAtCommit installs a deferred constraint trigger that refuses, at
// COMMIT, any transaction that inserted a tenant with slug: the seed's work
// and its ledger row are both written by then, and only the commit fails.
func failAtCommit(t *testing.T, tdb *dbtest.DB, slug string) {
	t.Helper()
	admin, err := sql.Open("pgx", tdb.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, stmt := range []string{
		`CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
		 BEGIN RAISE EXCEPTION 'commit refused for %', NEW.slug USING ERRCODE = 'P0001'; END $$`,
		fmt.Sprintf(`CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON tenants
		 DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.slug = '%s') EXECUTE FUNCTION refuse_at_commit()`, slug),
	} {
		if _, err := admin.ExecContext(context.Background(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// TestCommitFailureLeavesNoLedgerRow: through the app's *db.DB and services,
// a seed whose transaction fails at COMMIT (after its work and its ledger
// row were written) leaves neither (internal/seedengine has the same test on
// the engine's test database).
//
// Deliberate bug it catches: writing the ledger row outside the seed's
// transaction (in the engine's record, Writer(context.Background()) instead
// of Writer(ctx)): the ledger row autocommits and survives the failed
// commit, so the seed would never run again.
func TestCommitFailureLeavesNoLedgerRow(t *testing.T) {
	ctx := context.Background()
	names := []string{"0001_first_one", "0002_refused_at_commit"}
	tdb := newTestDB(t)
	failAtCommit(t, tdb, "refused-at-commit")
	e := newAppEnv(t, tdb)
	_, err := e.runner(t, names, map[string]seed.Func{
		"0001_first_one":         createTenant("first-one"),
		"0002_refused_at_commit": createTenant("refused-at-commit"),
	}).Run(ctx, seedengine.RunOptions{})
	var se *seedengine.SeedError
	if !errors.As(err, &se) || se.Name != "0002_refused_at_commit" || !strings.Contains(err.Error(), "commit refused") {
		t.Fatalf("Run error = %v, want *SeedError for 0002_refused_at_commit saying the commit was refused", err)
	}
	for q, want := range map[string]int{
		`SELECT count(*) FROM seeds WHERE name = '0001_first_one'`:         1,
		`SELECT count(*) FROM seeds WHERE name = '0002_refused_at_commit'`: 0,
		`SELECT count(*) FROM tenants WHERE slug = 'refused-at-commit'`:    0,
		`SELECT count(*) FROM tenants WHERE slug = 'first-one'`:            1,
	} {
		if got := count(t, e.raw, q); got != want {
			t.Errorf("%s = %d, want %d: the refused seed's work and ledger row must roll back together", q, got, want)
		}
	}
}
