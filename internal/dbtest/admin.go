package dbtest

import (
	"database/sql"
	"testing"
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
