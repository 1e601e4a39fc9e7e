package seed_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/central/central/internal/seed"
	"github.com/central/central/internal/seedengine"
)

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
	tdb.RefuseCommitOfTenant(t, "refused-at-commit")
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
