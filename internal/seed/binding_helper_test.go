package seed_test

import (
	"context"
	"database/sql"
	"testing"
	"testing/fstest"

	"github.com/central/central/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func newTestDB(t testing.TB) *dbtest.DB {
	t.Helper()
	return dbtest.New(t)
}

// rawDB is a superuser connection for counting behind the services' back:
// the app's own roles see only one tenant's rows (row-level security).
type rawDB struct{ pool *sql.DB }

func newRawDB(t testing.TB, d *dbtest.DB) *rawDB { return &rawDB{pool: d.OpenAdminDB(t)} }

func count(t testing.TB, db *rawDB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.pool.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// sources gives each named seed a file whose content is its name.
func sources(names []string) fstest.MapFS {
	files := fstest.MapFS{"doc.go": {Data: []byte("package x")}, "seeds.go": {Data: []byte("package x")}}
	for _, n := range names {
		files[n+".go"] = &fstest.MapFile{Data: []byte("package x // " + n)}
	}
	return files
}
