package seedengine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/seedengine"
)

// TestCommitFailureLeavesNoLedgerRow: a seed whose transaction fails at
// COMMIT (after its work and its ledger row were written) leaves neither,
// through the engine's test Database (internal/seed has the same test
// through the app's *db.DB).
//
// Deliberate bug it catches: writing the ledger row outside the seed's
// transaction (in record, r.db.Writer(context.Background()) instead of
// r.db.Writer(ctx)): the ledger row autocommits and survives the failed
// commit, so the seed would never run again. TestFailingSeedLeavesNothing
// cannot see that bug, because there the seed fails before record runs.
func TestCommitFailureLeavesNoLedgerRow(t *testing.T) {
	ctx := context.Background()
	names := []string{"0001_first_one", "0002_refused_at_commit"}
	check := func(t *testing.T, err error, raw *txDB) {
		t.Helper()
		var se *seedengine.SeedError
		if !errors.As(err, &se) || se.Name != "0002_refused_at_commit" || !strings.Contains(err.Error(), "commit refused") {
			t.Fatalf("Run error = %v, want *SeedError for 0002_refused_at_commit saying the commit was refused", err)
		}
		if got := ledgerNames(t, raw); fmt.Sprint(got) != "[0001_first_one]" {
			t.Errorf("ledger = %v, want only 0001_first_one: the refused seed's row must roll back with it", got)
		}
		if n := count(t, raw, `SELECT count(*) FROM tenants WHERE slug = 'refused-at-commit'`); n != 0 {
			t.Errorf("the refused seed's tenant survived (%d rows)", n)
		}
		if n := count(t, raw, `SELECT count(*) FROM tenants WHERE slug = 'first-one'`); n != 1 {
			t.Errorf("the first seed's tenant: %d rows, want 1", n)
		}
	}
	t.Run("test database", func(t *testing.T) {
		tdb := newTestDB(t)
		tdb.RefuseCommitOfTenant(t, "refused-at-commit")
		raw := newTxDB(t, tdb)
		_, err := newRunner(t, raw, config.Development, set(config.Development, "", names, map[string]seedengine.Func[deps]{
			"0001_first_one":         mkTenant("first-one"),
			"0002_refused_at_commit": mkTenant("refused-at-commit"),
		})).Run(ctx, seedengine.RunOptions{})
		check(t, err, raw)
	})
}
