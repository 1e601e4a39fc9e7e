package dbtest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/central/central/internal/dbtest"
)

// TestRefuseCommitOfTenant: the named tenant's insert succeeds as a
// statement and fails at COMMIT, leaving nothing; another tenant commits.
func TestRefuseCommitOfTenant(t *testing.T) {
	tdb := dbtest.New(t)
	slug := "refused"
	tdb.RefuseCommitOfTenant(t, slug)
	db := tdb.OpenAdminDB(t)
	ctx := context.Background()
	insert := func(s string) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tenants (id, slug, display_name, status, created_at, updated_at)
			VALUES (gen_random_uuid(), $1, $1, 'active', now(), now())`, s); err != nil {
			_ = tx.Rollback()
			t.Fatalf("insert %q: the statement itself must succeed: %v", s, err)
		}
		return tx.Commit()
	}
	if err := insert(slug); err == nil || !strings.Contains(err.Error(), "commit refused") {
		t.Fatalf("commit of %q: %v, want the commit refused", slug, err)
	}
	if err := insert("kept"); err != nil {
		t.Fatalf("commit of another tenant: %v", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM tenants WHERE slug IN ($1, 'kept')`, slug).Scan(&n); err != nil || n != 1 {
		t.Fatalf("tenants left: %d, %v; want only the kept one", n, err)
	}
}
