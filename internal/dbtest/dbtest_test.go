package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/zap/zaptest"

	"github.com/central/central/internal/pgserver"
)

func TestMain(m *testing.M) { Main(m) }

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func connect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctxT(t), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func dbExists(t testing.TB, adminURL, name string) bool {
	t.Helper()
	conn := connect(t, adminURL)
	var ok bool
	if err := conn.QueryRow(ctxT(t), "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// uniqueMigrations returns migrations no other run has seen, so the first
// New really migrates even on a long-lived TEST_DATABASE_URL server. Their
// template is dropped from h's server when the test ends.
func uniqueMigrations(t testing.TB, h *Harness) fstest.MapFS {
	b := make([]byte, 8)
	rand.Read(b)
	fsys := fstest.MapFS{
		"001_widgets.sql": {Data: []byte("CREATE TABLE widgets (id bigint PRIMARY KEY, name text NOT NULL);\n-- " + hex.EncodeToString(b) + "\n")},
		"002_seed.sql":    {Data: []byte("INSERT INTO widgets VALUES (1, 'seed');\n")},
	}
	t.Cleanup(func() {
		name, err := templateName(fsys)
		if err != nil {
			t.Error(err)
			return
		}
		ctx := context.Background()
		h.mu.Lock()
		delete(h.templates, name)
		h.mu.Unlock()
		_, err = h.admin.Exec(ctx, "ALTER DATABASE "+ident(name)+" IS_TEMPLATE false")
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "3D000" { // never created
			return
		}
		if err == nil {
			_, err = h.admin.Exec(ctx, "DROP DATABASE "+ident(name)+" WITH (FORCE)")
		}
		if err != nil {
			t.Errorf("drop test template %s: %v", name, err)
		}
	})
	return fsys
}

// applySQL runs every file in name order: a minimal stand-in for
// internal/migrate, which has its own tests.
func applySQL(calls *int) ApplyFunc {
	var mu sync.Mutex
	return func(ctx context.Context, db *sql.DB, fsys fs.FS) error {
		mu.Lock()
		*calls++
		mu.Unlock()
		names, err := fs.Glob(fsys, "*.sql")
		if err != nil {
			return err
		}
		for _, n := range names {
			b, err := fs.ReadFile(fsys, n)
			if err != nil {
				return err
			}
			if _, err := db.ExecContext(ctx, string(b)); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestParallelTestsGetIsolatedDatabases(t *testing.T) {
	var mu sync.Mutex
	var dbs []*DB
	t.Run("group", func(t *testing.T) {
		for _, name := range []string{"a", "b"} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				db := New(t)
				mu.Lock()
				dbs = append(dbs, db)
				mu.Unlock()
				conn := connect(t, db.URL)
				if _, err := conn.Exec(ctxT(t), "CREATE TABLE only_"+name+" (id int)"); err != nil {
					t.Fatal(err)
				}
				var tables []string
				rows, _ := conn.Query(ctxT(t), "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
				for rows.Next() {
					var s string
					rows.Scan(&s)
					tables = append(tables, s)
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				other := map[string]string{"a": "only_b", "b": "only_a"}[name]
				if !slices.Contains(tables, "only_"+name) || slices.Contains(tables, other) {
					t.Fatalf("database %s has tables %v, want only_%s and not %s", db.Name, tables, name, other)
				}
			})
		}
	})
	if len(dbs) != 2 || dbs[0].Name == dbs[1].Name {
		t.Fatalf("databases %v", dbs)
	}
	h, err := shared.harness()
	if err != nil {
		t.Fatal(err)
	}
	for _, db := range dbs {
		if dbExists(t, h.AdminURL("postgres"), db.Name) {
			t.Errorf("database %s not dropped after its test", db.Name)
		}
	}
}

func TestRoles(t *testing.T) {
	db := New(t)
	ctx := ctxT(t)
	rw := connect(t, db.URL)
	if _, err := rw.Exec(ctx, "CREATE TABLE t (id int); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	var user, owner string
	if err := rw.QueryRow(ctx, "SELECT current_user, pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()").Scan(&user, &owner); err != nil {
		t.Fatal(err)
	}
	if user != "central" || owner != "central" {
		t.Fatalf("URL logs in as %s, database owned by %s; want central for both", user, owner)
	}

	ro := connect(t, db.ReadOnlyURL)
	var n int
	if err := ro.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 1 {
		t.Fatalf("read-only count = %d, %v", n, err)
	}
	_, err := ro.Exec(ctx, "INSERT INTO t VALUES (2)")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
		t.Fatalf("write as read-only role: %v, want 25006", err)
	}

	admin := connect(t, db.AdminURL)
	var super bool
	if err := admin.QueryRow(ctx, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super); err != nil || !super {
		t.Fatalf("AdminURL superuser = %v, %v", super, err)
	}
}

func TestOpenDBAndPool(t *testing.T) {
	db := New(t)
	sqlDB := db.OpenDB(t)
	if _, err := sqlDB.ExecContext(ctxT(t), "CREATE TABLE t (id int)"); err != nil {
		t.Fatal(err)
	}
	pool := db.Pool(t)
	var n int
	if err := pool.QueryRow(ctxT(t), "SELECT count(*) FROM t").Scan(&n); err != nil || n != 0 {
		t.Fatalf("count = %d, %v", n, err)
	}
}

func TestTemplateMigratedOnce(t *testing.T) {
	h, err := shared.harness()
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	apply := applySQL(&calls)
	fsys := uniqueMigrations(t, h)
	before := h.migrations.Load()
	var names []string
	for i := 0; i < 3; i++ {
		db := h.New(t, WithMigrations(fsys, apply))
		names = append(names, db.Name)
		var name string
		if err := connect(t, db.URL).QueryRow(ctxT(t), "SELECT name FROM widgets WHERE id = 1").Scan(&name); err != nil || name != "seed" {
			t.Fatalf("clone %d: seed row = %q, %v", i, name, err)
		}
	}
	if calls != 1 || h.migrations.Load()-before != 1 {
		t.Fatalf("migrated %d times for 3 databases, want once", calls)
	}
	if names[0] == names[1] || names[1] == names[2] {
		t.Fatalf("names not distinct: %v", names)
	}

	// Other migrations, other template.
	other := uniqueMigrations(t, h)
	h.New(t, WithMigrations(other, apply))
	if calls != 2 {
		t.Fatalf("calls = %d after new migrations, want 2", calls)
	}
	// Empty: no migrations at all.
	var n int
	if err := connect(t, h.New(t, Empty()).URL).QueryRow(ctxT(t), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("Empty() database has %d tables, %v", n, err)
	}
}

func TestTemplateAcrossHarnesses(t *testing.T) {
	// Two Harnesses on one server stand for two test binaries: the second
	// reuses the first one's template instead of migrating again, even when
	// both start at once.
	h1, err := shared.harness()
	if err != nil {
		t.Fatal(err)
	}
	h2, err := newHarness(ctxT(t), h1.AdminURL("postgres"), h1.urls)
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Close(context.Background())
	calls := 0
	apply := applySQL(&calls)
	fsys := uniqueMigrations(t, h1)
	var wg sync.WaitGroup
	for _, h := range []*Harness{h1, h2, h1, h2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tmpl, err := h.template(ctxT(t), options{fsys: fsys, apply: apply})
			if err != nil || !strings.HasPrefix(tmpl, "central_tmpl_") {
				t.Errorf("template = %q, %v", tmpl, err)
			}
		}()
	}
	wg.Wait()
	if calls != 1 {
		t.Fatalf("migrated %d times, want 1", calls)
	}
}

func TestUnfinishedTemplateIsRedone(t *testing.T) {
	h, err := shared.harness()
	if err != nil {
		t.Fatal(err)
	}
	fsys := uniqueMigrations(t, h)
	name, err := templateName(fsys)
	if err != nil {
		t.Fatal(err)
	}
	// A binary died mid-migration: the database exists, unmarked.
	admin := connect(t, h.AdminURL("postgres"))
	if _, err := admin.Exec(ctxT(t), "CREATE DATABASE "+ident(name)); err != nil {
		t.Fatal(err)
	}
	calls := 0
	db := h.New(t, WithMigrations(fsys, applySQL(&calls)))
	if calls != 1 {
		t.Fatalf("calls = %d, want the unfinished template migrated again", calls)
	}
	var n int
	if err := connect(t, db.URL).QueryRow(ctxT(t), "SELECT count(*) FROM widgets").Scan(&n); err != nil || n != 1 {
		t.Fatalf("widgets = %d, %v", n, err)
	}
}

func TestFailedMigration(t *testing.T) {
	h, err := shared.harness()
	if err != nil {
		t.Fatal(err)
	}
	fsys := uniqueMigrations(t, h)
	fsys["003_broken.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE broken (")}
	calls := 0
	_, err = h.template(ctxT(t), options{fsys: fsys, apply: applySQL(&calls)})
	if err == nil || !strings.Contains(err.Error(), "migrate template") {
		t.Fatalf("err = %v, want a migrate template error", err)
	}
	name, _ := templateName(fsys)
	if dbExists(t, h.AdminURL("postgres"), name) {
		t.Fatalf("failed template %s left behind", name)
	}
}

func TestTemplateName(t *testing.T) {
	a := fstest.MapFS{"1.sql": {Data: []byte("x")}, "2.sql": {Data: []byte("y")}}
	tests := []struct {
		name string
		fsys fs.FS
		same bool
	}{
		{"identical", fstest.MapFS{"1.sql": {Data: []byte("x")}, "2.sql": {Data: []byte("y")}}, true},
		{"content changed", fstest.MapFS{"1.sql": {Data: []byte("x")}, "2.sql": {Data: []byte("z")}}, false},
		{"file renamed", fstest.MapFS{"1.sql": {Data: []byte("x")}, "3.sql": {Data: []byte("y")}}, false},
		{"bytes moved between files", fstest.MapFS{"1.sql": {Data: []byte("xy")}, "2.sql": {Data: []byte("")}}, false},
		{"file added", fstest.MapFS{"1.sql": {Data: []byte("x")}, "2.sql": {Data: []byte("y")}, "3.sql": {}}, false},
		{"none", nil, false},
	}
	want, err := templateName(a)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != len("central_tmpl_")+12 {
		t.Fatalf("name %q", want)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := templateName(tt.fsys)
			if err != nil {
				t.Fatal(err)
			}
			if (got == want) != tt.same {
				t.Fatalf("templateName = %s vs %s, same = %v, want %v", got, want, got == want, tt.same)
			}
		})
	}
}

func TestBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  Option
		want string
	}{
		{"nil fs", WithMigrations(nil, applySQL(new(int))), "fsys is nil"},
		{"nil apply", WithMigrations(fstest.MapFS{}, nil), "apply is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := buildOptions([]Option{tt.opt})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDBName(t *testing.T) {
	long := strings.Repeat("VeryLong/Test Name-", 10)
	for _, in := range []string{"TestX", "TestX/sub case#01", long, "日本"} {
		got, err := dbName(in)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > 63 || strings.Trim(got, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			t.Errorf("dbName(%q) = %q", in, got)
		}
	}
	a, _ := dbName("TestX")
	b, _ := dbName("TestX")
	if a == b {
		t.Fatalf("two names for one test are equal: %s", a)
	}
}

func TestMainRequired(t *testing.T) {
	r := newResources(func(string) string { return "" })
	if _, err := r.harness(); err == nil || !strings.Contains(err.Error(), "TestMain") {
		t.Fatalf("harness without Main: %v", err)
	}
}

// TestConnectExternal exercises the TEST_DATABASE_URL path against a
// server this test controls: a cluster whose pg_hba trusts local TCP and
// which lacks the central roles, like a developer's or CI's server.
// When TEST_DATABASE_URL is set, the same checks also run against it.
func TestConnectExternal(t *testing.T) {
	servers := map[string]string{"trusting embedded server": trustingServer(t)}
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		servers["TEST_DATABASE_URL"] = u
	}
	for name, adminURL := range servers {
		t.Run(name, func(t *testing.T) {
			h, err := Connect(ctxT(t), adminURL)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { h.Close(context.Background()) })
			calls := 0
			db := h.New(t, WithMigrations(uniqueMigrations(t, h), applySQL(&calls)))
			ctx := ctxT(t)
			var user string
			if err := connect(t, db.URL).QueryRow(ctx, "SELECT current_user FROM widgets").Scan(&user); err != nil || user != "central" {
				t.Fatalf("URL: user %q, %v", user, err)
			}
			ro := connect(t, db.ReadOnlyURL)
			if err := ro.QueryRow(ctx, "SELECT current_user FROM widgets").Scan(&user); err != nil || user != "central_ro" {
				t.Fatalf("ReadOnlyURL: user %q, %v", user, err)
			}
			_, err = ro.Exec(ctx, "DELETE FROM widgets")
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
				t.Fatalf("write as central_ro: %v, want 25006", err)
			}
			// A second Connect (another test binary) finds the roles in place.
			h2, err := Connect(ctx, adminURL)
			if err != nil {
				t.Fatalf("second Connect: %v", err)
			}
			h2.Close(ctx)
		})
	}
}

// trustingServer starts a cluster, drops the central roles and switches its
// pg_hba to trust on TCP, returning a password-less superuser URL.
func trustingServer(t *testing.T) string {
	t.Helper()
	dir, err := newTempDir(false)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	srv, err := pgserver.Start(ctx, pgserver.Config{DataDir: filepath.Join(dir, "pg"), Ephemeral: true, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Stop(context.Background())
		os.RemoveAll(dir)
	})
	admin := connect(t, srv.URL(pgserver.RoleSuperuser, "postgres"))
	for _, sql := range []string{"DROP DATABASE central", "DROP ROLE central", "DROP ROLE central_ro"} {
		if _, err := admin.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	hba := filepath.Join(srv.DataDir(), "pgdata", "pg_hba.conf")
	if err := os.WriteFile(hba, []byte("host all all 127.0.0.1/32 trust\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		t.Fatal(err)
	}
	u := "postgres://postgres@127.0.0.1:" + strconv.Itoa(srv.Port()) + "/postgres?sslmode=disable"
	// The reload is asynchronous: wait until trust is in effect.
	for deadline := time.Now().Add(10 * time.Second); ; {
		conn, err := pgx.Connect(ctx, u)
		if err == nil {
			conn.Close(ctx)
			return u
		}
		if time.Now().After(deadline) {
			t.Fatalf("trust auth not in effect: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDropAbandoned(t *testing.T) {
	adminURL := trustingServer(t)
	h, err := Connect(ctxT(t), adminURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	ctx := ctxT(t)
	old, _ := dbName("TestOld")
	fresh, _ := dbName("TestFresh")
	for _, name := range []string{old, fresh, "t_not_ours"} {
		if _, err := h.admin.Exec(ctx, "CREATE DATABASE "+ident(name)); err != nil {
			t.Fatal(err)
		}
	}
	// Age the first one and the foreign one as if untouched for two days.
	var dataDir string
	if err := h.admin.QueryRow(ctx, "SELECT current_setting('data_directory')").Scan(&dataDir); err != nil {
		t.Fatal(err)
	}
	twoDaysAgo := time.Now().Add(-48 * time.Hour)
	for _, name := range []string{old, "t_not_ours"} {
		var oid uint32
		if err := h.admin.QueryRow(ctx, "SELECT oid FROM pg_database WHERE datname = $1", name).Scan(&oid); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(filepath.Join(dataDir, "base", strconv.FormatUint(uint64(oid), 10)), twoDaysAgo, twoDaysAgo); err != nil {
			t.Fatal(err)
		}
	}
	h.dropAbandoned(ctx)
	for name, want := range map[string]bool{old: false, fresh: true, "t_not_ours": true} {
		if got := dbExists(t, h.AdminURL("postgres"), name); got != want {
			t.Errorf("database %s exists = %v, want %v", name, got, want)
		}
	}
}

func TestRemoveStaleDirs(t *testing.T) {
	base := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	dirs := map[string]struct {
		owner string
		keep  bool
	}{
		tempPrefix + "dead":    {strconv.Itoa(dead.Process.Pid), false},
		tempPrefix + "alive":   {strconv.Itoa(os.Getpid()), true},
		tempPrefix + "noowner": {"", true},
		"other-dead":           {strconv.Itoa(dead.Process.Pid), true},
	}
	for name, d := range dirs {
		if err := os.Mkdir(filepath.Join(base, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if d.owner != "" {
			if err := os.WriteFile(filepath.Join(base, name, ownerFile), []byte(d.owner), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	removeStaleDirs(base)
	for name, d := range dirs {
		_, err := os.Stat(filepath.Join(base, name))
		if kept := err == nil; kept != d.keep {
			t.Errorf("%s kept = %v, want %v", name, kept, d.keep)
		}
	}
}
