package dbtest

import (
	"context"
	"database/sql"
	"testing"

	"github.com/central/central/internal/pgserver"
)

// OpenAdminDB opens a database/sql handle on AdminURL (the superuser),
// closed when the test ends. The superuser bypasses row-level security:
// tests use it to inspect or arrange rows of every tenant behind the app's
// back, which the app's own roles (URL, ReadOnlyURL) cannot.
func (d *DB) OpenAdminDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := openDB(d.AdminURL)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// RefuseCommitOfTenant installs, as the superuser, a deferred constraint
// trigger that fails (SQLSTATE P0001, "commit refused for <slug>") the COMMIT
// of any transaction that inserted a tenant with slug: every statement of
// that transaction succeeds and only its commit fails. Tests use it to prove
// that work and its bookkeeping (a ledger row, a cursor) commit together.
func (d *DB) RefuseCommitOfTenant(t testing.TB, slug string) {
	t.Helper()
	db := d.OpenAdminDB(t)
	for _, stmt := range []string{
		`CREATE OR REPLACE FUNCTION dbtest_refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
		 BEGIN RAISE EXCEPTION 'commit refused for %', NEW.slug USING ERRCODE = 'P0001'; END $$`,
		`CREATE CONSTRAINT TRIGGER dbtest_refuse_at_commit AFTER INSERT ON tenants
		 DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.slug = ` + pgserver.QuoteLiteral(slug) + `)
		 EXECUTE FUNCTION dbtest_refuse_at_commit()`,
	} {
		if _, err := db.ExecContext(context.Background(), stmt); err != nil {
			t.Fatalf("dbtest: refuse commit of tenant %q: %v", slug, err)
		}
	}
}
