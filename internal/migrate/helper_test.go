package migrate_test

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	atlas "ariga.io/atlas/sql/migrate"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/central/central/internal/dbtest"
)

func TestMain(m *testing.M) {
	if dsn := os.Getenv(helperDSNEnv); dsn != "" {
		os.Exit(helperMigrator(dsn))
	}
	dbtest.Main(m)
}

// newDB returns a connection to a fresh, empty database and its URL.
func newDB(t testing.TB) (*sql.DB, string) {
	t.Helper()
	d := dbtest.New(t, dbtest.Empty())
	return d.OpenDB(t), d.URL
}

func openDB(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// loadFS copies a testdata directory into memory so tests can tamper with it.
func loadFS(t testing.TB, dir string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = &fstest.MapFile{Data: b}
	}
	return m
}

// rehash rewrites atlas.sum as the diff command would.
func rehash(t testing.TB, m fstest.MapFS) fstest.MapFS {
	t.Helper()
	var files []atlas.File
	for _, n := range sqlNames(m) {
		files = append(files, atlas.NewLocalFile(n, m[n].Data))
	}
	sum, err := atlas.NewHashFile(files)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sum.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	m[atlas.HashFileName] = &fstest.MapFile{Data: b}
	return m
}

// firstN returns the first n migrations of m with a matching atlas.sum.
func firstN(t testing.TB, m fstest.MapFS, n int) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	for _, name := range sqlNames(m)[:n] {
		out[name] = m[name]
	}
	return rehash(t, out)
}

// with returns a copy of m with file name set to content (nil removes it).
func with(m fstest.MapFS, name string, content *string) fstest.MapFS {
	out := fstest.MapFS{}
	for k, v := range m {
		out[k] = v
	}
	if content == nil {
		delete(out, name)
	} else {
		out[name] = &fstest.MapFile{Data: []byte(*content)}
	}
	return out
}

func sqlNames(m fstest.MapFS) []string {
	var names []string
	for n := range m {
		if strings.HasSuffix(n, ".sql") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

func ptr(s string) *string { return &s }

func queryStrings(t testing.TB, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var _ fs.FS = fstest.MapFS{}
