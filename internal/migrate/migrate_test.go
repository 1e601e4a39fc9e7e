package migrate_test

import (
	"bytes"
	"context"
	"errors"
	"hash/fnv"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/central/central/internal/migrate"
	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

const (
	v1 = "20260101000001_init.sql"
	v2 = "20260101000002_upper_names.sql"
	v3 = "20260101000003_add_email.sql"
)

func TestUpEmptyToLatestThenNoop(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	dir := loadFS(t, "testdata/basic")

	var out bytes.Buffer
	core, logs := observer.New(zap.InfoLevel)
	res, err := migrate.Up(ctx, db, dir, migrate.WithProgress(&out), migrate.WithLogger(zap.New(core)))
	if err != nil {
		t.Fatal(err)
	}
	if n := logs.FilterMessage("migration applied").Len(); n != 3 {
		t.Errorf("%d 'migration applied' log entries, want 3", n)
	}
	if got := names(res.Applied); !slices.Equal(got, []string{v1, v2, v3}) {
		t.Fatalf("applied %v", got)
	}
	if res.Version != "20260101000003" || !res.Locked {
		t.Fatalf("result %+v", res)
	}
	if res.Applied[2].Statements != 4 {
		t.Errorf("%s: %d statements, want 4 (the function body is one)", v3, res.Applied[2].Statements)
	}
	for _, n := range []string{v1, v2, v3} {
		if !strings.Contains(out.String(), n+": ok") {
			t.Errorf("progress lacks %s:\n%s", n, out.String())
		}
	}
	if got := queryStrings(t, db, `SELECT version FROM migration_log ORDER BY version`); len(got) != 3 {
		t.Fatalf("migration_log %v", got)
	}

	res, err = migrate.Up(ctx, db, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != 0 || res.Locked || res.Version != "20260101000003" {
		t.Fatalf("second run %+v, want a lock-free no-op at 20260101000003", res)
	}
	if got := queryStrings(t, db, `SELECT version FROM migration_log`); len(got) != 3 {
		t.Fatalf("second run changed migration_log: %v", got)
	}
}

// Data inserted before a version is transformed by it.
func TestUpDataMigration(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	dir := loadFS(t, "testdata/basic")
	if _, err := migrate.Up(ctx, db, firstN(t, dir, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO accounts (id, name) VALUES (1, 'ada'), (2, 'Grace')`); err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Up(ctx, db, dir); err != nil {
		t.Fatal(err)
	}
	got := queryStrings(t, db, `SELECT name || ' ' || email FROM accounts ORDER BY id`)
	want := []string{"ADA ada@example.com", "GRACE grace@example.com"}
	if !slices.Equal(got, want) {
		t.Fatalf("accounts %v, want %v", got, want)
	}
}

// The revisions table is the atlas CLI's, row for row.
func TestRevisionsTableMatchesAtlasCLI(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	dir := loadFS(t, "testdata/basic")
	if _, err := migrate.Up(ctx, db, dir); err != nil {
		t.Fatal(err)
	}
	cols := queryStrings(t, db, `SELECT column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '-')
		FROM information_schema.columns WHERE table_schema = 'atlas_schema_revisions' AND table_name = 'atlas_schema_revisions' ORDER BY ordinal_position`)
	want := []string{
		"version character varying NO -", "description character varying NO -", "type bigint NO 2",
		"applied bigint NO 0", "total bigint NO 0", "executed_at timestamp with time zone NO -",
		"execution_time bigint NO -", "error text YES -", "error_stmt text YES -",
		"hash character varying NO -", "partial_hashes jsonb YES -", "operator_version character varying NO -",
	}
	if !slices.Equal(cols, want) {
		t.Fatalf("columns\n%v\nwant\n%v", strings.Join(cols, "\n"), strings.Join(want, "\n"))
	}
	sum := string(dir["atlas.sum"].Data)
	rows := queryStrings(t, db, `SELECT concat_ws('|', version, description, type, applied || '/' || total, hash,
		coalesce(partial_hashes::text, 'NULL'), coalesce(error, 'NULL'), execution_time >= 0)
		FROM atlas_schema_revisions.atlas_schema_revisions ORDER BY version`)
	want = []string{"3/3", "2/2", "4/4"}
	if len(rows) != len(want) {
		t.Fatalf("revisions %v", rows)
	}
	for i, r := range rows {
		f := strings.Split(r, "|")
		if name := f[0] + "_" + f[1] + ".sql"; !strings.Contains(sum, name+" h1:"+f[4]+"\n") {
			t.Errorf("revision %s: hash %s is not its atlas.sum entry", name, f[4])
		}
		// type 2 = executed; partial hashes cleared once complete; error
		// written empty, as the CLI's ent client does.
		if f[2] != "2" || f[3] != want[i] || f[5] != "NULL" || f[6] != "" || f[7] != "t" {
			t.Errorf("revision %q", r)
		}
	}
}

func TestUpRefusesTamperedDirectory(t *testing.T) {
	ctx := context.Background()
	base := loadFS(t, "testdata/basic")
	edited := string(base[v2].Data) + "\nSELECT 1;\n"
	added := "20260101000004_extra.sql"
	badSum := strings.Replace(string(base["atlas.sum"].Data), "h1:", "h1:x", 1)
	tests := []struct {
		name   string
		dir    fstest.MapFS
		file   string
		reason string
	}{
		{"edited file", with(base, v2, &edited), v2, "edited"},
		{"added file without sum", with(base, added, ptr("SELECT 1;\n")), added, "added"},
		{"removed file", with(base, v2, nil), v2, "removed"},
		{"missing atlas.sum", with(base, "atlas.sum", nil), "", "atlas.sum missing"},
		{"hand-edited atlas.sum", with(base, "atlas.sum", &badSum), "", "atlas.sum corrupt (edited by hand?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := newDB(t)
			_, err := migrate.Up(ctx, db, tt.dir)
			var de *migrate.DirError
			if !errors.As(err, &de) || !errors.Is(err, migrate.ErrDirTampered) {
				t.Fatalf("err = %v, want *DirError", err)
			}
			if de.File != tt.file || de.Reason != tt.reason {
				t.Fatalf("DirError{File: %q, Reason: %q}, want {%q, %q}", de.File, de.Reason, tt.file, tt.reason)
			}
			if tt.file != "" && !strings.Contains(err.Error(), tt.file) {
				t.Errorf("message does not name the file: %v", err)
			}
			// Nothing ran: not even the revisions table exists.
			if got := queryStrings(t, db, `SELECT coalesce(to_regclass('atlas_schema_revisions.atlas_schema_revisions')::text, 'none')`); got[0] != "none" {
				t.Errorf("revisions table created despite the refusal")
			}
			if _, err := migrate.Status(ctx, db, tt.dir); !errors.As(err, &de) {
				t.Errorf("Status err = %v, want *DirError", err)
			}
		})
	}
}

// Refusals that depend on what the database applied.
func TestUpRefusesDivergedHistory(t *testing.T) {
	ctx := context.Background()
	base := loadFS(t, "testdata/basic")
	editedV1 := strings.Replace(string(base[v1].Data), `"name" text`, `"name" varchar(10)`, 1)
	tests := []struct {
		name    string
		applied fstest.MapFS // applied first
		dir     fstest.MapFS // then Up with this one
		want    error
		mention string
	}{
		{"edited applied file with rewritten sum", base, rehash(t, with(base, v1, &editedV1)), migrate.ErrAppliedFileChanged, v1},
		{"unknown applied version", base, firstN(t, base, 2), migrate.ErrDatabaseNewer, "20260101000003_add_email"},
		// The mention guards a mutant that lived: `a.last = last` dropped
		// (the message then names an empty latest version).
		{"file added before the latest applied", rehash(t, with(base, v2, nil)), base, migrate.ErrOutOfOrder, v2 + " sorts before the latest applied version 20260101000003"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := newDB(t)
			if _, err := migrate.Up(ctx, db, tt.applied); err != nil {
				t.Fatal(err)
			}
			before := queryStrings(t, db, `SELECT version FROM atlas_schema_revisions.atlas_schema_revisions ORDER BY version`)
			_, err := migrate.Up(ctx, db, tt.dir)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("message does not mention %s: %v", tt.mention, err)
			}
			after := queryStrings(t, db, `SELECT version FROM atlas_schema_revisions.atlas_schema_revisions ORDER BY version`)
			if !slices.Equal(before, after) {
				t.Errorf("revisions changed from %v to %v", before, after)
			}
			st, err := migrate.Status(ctx, db, tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			if !errors.Is(st.Problem, tt.want) {
				t.Errorf("Status.Problem = %v, want %v", st.Problem, tt.want)
			}
		})
	}
}

// A failing statement rolls its whole file back, is reported with file,
// line and statement, and the fixed file applies on the next run.
func TestUpFailingFileRollsBackAndRetries(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	base := loadFS(t, "testdata/basic")
	bad := "INSERT INTO \"migration_log\" (\"version\") VALUES ('20260101000002');\nCREATE TABLE \"half\" (\"id\" int);\nINSERT INTO \"accounts\" (\"id\") VALUES (1);\n"
	broken := rehash(t, with(firstN(t, base, 1), "20260101000002_broken.sql", &bad))

	_, err := migrate.Up(ctx, db, broken)
	var ae *migrate.ApplyError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want *ApplyError", err)
	}
	var pe *pgconn.PgError
	if ae.File != "20260101000002_broken.sql" || ae.Line != 3 || !strings.HasPrefix(ae.Statement, `INSERT INTO "accounts"`) ||
		!errors.As(err, &pe) || pe.Code != "23502" {
		t.Fatalf("ApplyError{File: %q, Line: %d, Statement: %q, Err: %v}", ae.File, ae.Line, ae.Statement, ae.Err)
	}
	if got := queryStrings(t, db, `SELECT version FROM migration_log`); !slices.Equal(got, []string{"20260101000001"}) {
		t.Errorf("migration_log %v: the failed file was not rolled back", got)
	}
	if got := queryStrings(t, db, `SELECT coalesce(to_regclass('half')::text, 'none')`); got[0] != "none" {
		t.Errorf("table half survived the rollback")
	}
	if got := queryStrings(t, db, `SELECT version FROM atlas_schema_revisions.atlas_schema_revisions`); !slices.Equal(got, []string{"20260101000001"}) {
		t.Errorf("revisions %v: the failed file was recorded", got)
	}

	fixed := strings.Replace(bad, `("id") VALUES (1)`, `("id", "name") VALUES (1, 'x')`, 1)
	res, err := migrate.Up(ctx, db, rehash(t, with(broken, "20260101000002_broken.sql", &fixed)))
	if err != nil {
		t.Fatal(err)
	}
	if got := names(res.Applied); !slices.Equal(got, []string{"20260101000002_broken.sql"}) {
		t.Fatalf("applied %v", got)
	}
	if got := queryStrings(t, db, `SELECT version FROM migration_log ORDER BY 1`); len(got) != 2 {
		t.Errorf("migration_log %v", got)
	}
}

// The no-op boot takes no lock: it returns while another session holds the
// migration lock, and a run with pending files times out on the same lock.
func TestUpNoopTakesNoLock(t *testing.T) {
	ctx := context.Background()
	db, dsn := newDB(t)
	base := loadFS(t, "testdata/basic")
	if _, err := migrate.Up(ctx, db, firstN(t, base, 2)); err != nil {
		t.Fatal(err)
	}
	holder := openDB(t, dsn)
	conn, err := holder.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, atlasLockKey()); err != nil {
		t.Fatal(err)
	}

	res, err := migrate.Up(ctx, db, firstN(t, base, 2), migrate.WithLockTimeout(time.Hour))
	if err != nil || res.Locked || len(res.Applied) != 0 {
		t.Fatalf("no-op run: %+v, %v", res, err)
	}
	_, err = migrate.Up(ctx, db, base, migrate.WithLockTimeout(100*time.Millisecond))
	if !errors.Is(err, migrate.ErrLockTimeout) {
		t.Fatalf("pending run under a held lock: err = %v, want ErrLockTimeout", err)
	}

	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, atlasLockKey()); err != nil {
		t.Fatal(err)
	}
	res, err = migrate.Up(ctx, db, base)
	if err != nil || len(res.Applied) != 1 {
		t.Fatalf("after unlock: %+v, %v", res, err)
	}
	// The lock connection went back to the pool unlocked.
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, atlasLockKey()).Scan(&n); err != nil || n != 0 {
		t.Fatalf("advisory locks still held: %d, %v", n, err)
	}
}

func TestStatus(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	base := loadFS(t, "testdata/basic")
	st, err := migrate.Status(ctx, db, base)
	if err != nil {
		t.Fatal(err)
	}
	if st.Current != "" || len(st.Applied) != 0 || len(st.Pending) != 3 || st.Problem != nil {
		t.Fatalf("empty database: %+v", st)
	}
	if _, err := migrate.Up(ctx, db, firstN(t, base, 2)); err != nil {
		t.Fatal(err)
	}
	st, err = migrate.Status(ctx, db, base)
	if err != nil {
		t.Fatal(err)
	}
	if st.Current != "20260101000002" || len(st.Applied) != 2 || len(st.Pending) != 1 || st.Pending[0].Name != v3 {
		t.Fatalf("status %+v", st)
	}
	a := st.Applied[1]
	if a.Version != "20260101000002" || a.Description != "upper_names" || a.Type != "applied" || a.AppliedAt.IsZero() ||
		a.Statements != 2 || a.Total != 2 || a.OperatorVersion != migrate.DefaultOperatorVersion {
		t.Fatalf("applied revision %+v", a)
	}
	if s := st.String(); !strings.Contains(s, v3+"  pending") || !strings.Contains(s, "20260101000002_upper_names  applied") {
		t.Errorf("String():\n%s", s)
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	db, _ := newDB(t)
	if _, err := migrate.New(nil, loadFS(t, "testdata/basic")); err == nil {
		t.Error("nil db accepted")
	}
	if _, err := migrate.New(db, nil); err == nil {
		t.Error("nil fs accepted")
	}
	if _, err := migrate.New(db, fstest.MapFS{}, migrate.WithLockTimeout(0)); err == nil {
		t.Error("zero lock timeout accepted")
	}
	if _, err := migrate.Up(context.Background(), db, fstest.MapFS{"init.sql": {Data: []byte("SELECT 1;")}}); err == nil {
		t.Error("file without version accepted")
	}
}

// atlasLockKey is the key the atlas CLI's postgres driver derives.
func atlasLockKey() int64 {
	h := fnv.New32()
	h.Write([]byte("atlas_migrate_execute"))
	return int64(h.Sum32())
}

func names(fs []migrate.AppliedFile) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return out
}

// A database whose schema predates the revisions is refused, or adopted
// with a baseline.
func TestUpNotCleanAndBaseline(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	base := loadFS(t, "testdata/basic")
	if _, err := db.Exec(string(base[v1].Data)); err != nil { // schema made by hand
		t.Fatal(err)
	}
	if _, err := migrate.Up(ctx, db, base); !errors.Is(err, migrate.ErrNotClean) || !strings.Contains(err.Error(), "WithBaseline") {
		t.Fatalf("err = %v, want ErrNotClean", err)
	}
	res, err := migrate.Up(ctx, db, base, migrate.WithBaseline("20260101000001"))
	if err != nil {
		t.Fatal(err)
	}
	if got := names(res.Applied); !slices.Equal(got, []string{v2, v3}) {
		t.Fatalf("applied %v after the baseline", got)
	}
	st, err := migrate.Status(ctx, db, base)
	if err != nil {
		t.Fatal(err)
	}
	if st.Applied[0].Type != "baseline" || len(st.Pending) != 0 || st.Problem != nil {
		t.Fatalf("status %s", st)
	}
	if res, err := migrate.Up(ctx, db, base, migrate.WithBaseline("20260101000001")); err != nil || res.Locked {
		t.Fatalf("second run %+v, %v", res, err)
	}
}
