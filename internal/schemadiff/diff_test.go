package schemadiff_test

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/entsql"
	entschema "entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/schema/field"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/migrate"
	"github.com/central/central/internal/schemadiff"
)

var update = flag.Bool("update", false, "rewrite golden files")

// widgets builds a small ent schema by hand (ent mutates tables while
// diffing, so every call returns fresh ones). Options tweak it per step.
func widgets(opts ...func(*widgetSpec)) []*entschema.Table {
	s := &widgetSpec{statuses: []string{"active", "suspended"}, withIndex: true}
	for _, o := range opts {
		o(s)
	}
	cols := []*entschema.Column{
		{Name: "id", Type: field.TypeUUID},
		{Name: "name", Type: s.nameType(), Size: 100},
		{Name: "status", Type: field.TypeEnum, Enums: s.statuses, Default: "active", SchemaType: map[string]string{"postgres": "widget_status"}},
	}
	if s.color {
		cols = append(cols, &entschema.Column{Name: "color", Type: field.TypeString, Nullable: true})
	}
	if s.kind {
		cols = append(cols, &entschema.Column{Name: "kind", Type: field.TypeEnum, Enums: []string{"small", "large"}, Default: "small", SchemaType: map[string]string{"postgres": "widget_kind"}})
	}
	t := &entschema.Table{Name: "widgets", Columns: cols, PrimaryKey: cols[:1]}
	if s.check != "" {
		t.Annotation = &entsql.Annotation{Checks: map[string]string{"name_valid": s.check}}
	}
	if s.withIndex {
		t.Indexes = []*entschema.Index{{Name: "widget_name", Columns: cols[1:2]}}
	}
	return []*entschema.Table{t}
}

type widgetSpec struct {
	statuses             []string
	color, kind          bool
	withIndex, nameIsInt bool
	check                string // CHECK "name_valid", if set
}

func (s *widgetSpec) nameType() field.Type {
	if s.nameIsInt {
		return field.TypeInt16
	}
	return field.TypeString
}

func statuses(v ...string) func(*widgetSpec)  { return func(s *widgetSpec) { s.statuses = v } }
func withColor(s *widgetSpec)                 { s.color = true }
func withKind(s *widgetSpec)                  { s.kind = true }
func noIndex(s *widgetSpec)                   { s.withIndex = false }
func nameIsInt(s *widgetSpec)                 { s.nameIsInt = true }
func withCheck(expr string) func(*widgetSpec) { return func(s *widgetSpec) { s.check = expr } }

func TestMain(m *testing.M) { dbtest.Main(m) }

// devURL is a superuser URL on the test server (Compute creates its
// scratch databases there).
func devURL(t *testing.T) string { return dbtest.New(t, dbtest.Empty()).AdminURL }

func clock(s string) schemadiff.Option {
	t, err := time.Parse("20060102150405", s)
	if err != nil {
		panic(err)
	}
	return schemadiff.WithClock(func() time.Time { return t })
}

func TestDiffLifecycle(t *testing.T) {
	ctx := context.Background()
	dev := devURL(t)
	dir := t.TempDir()

	// 1. First migration: enum type, table, index.
	res, err := schemadiff.Diff(ctx, dev, dir, widgets(), "init", clock("20260301120000"))
	if err != nil {
		t.Fatal(err)
	}
	assertWritten(t, dir, res, "20260301120000_init.sql")
	golden(t, filepath.Join(dir, "20260301120000_init.sql"), "testdata/init.golden")

	// 2. Schema and directory agree: nothing written, atlas.sum untouched.
	sumBefore := read(t, filepath.Join(dir, "atlas.sum"))
	res, err = schemadiff.Diff(ctx, dev, dir, widgets(), "again", clock("20260301120005"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Written) != 0 || !strings.HasPrefix(res.String(), "no changes") {
		t.Fatalf("no-op diff wrote %v", res.Written)
	}
	if read(t, filepath.Join(dir, "atlas.sum")) != sumBefore || len(sqlFiles(t, dir)) != 1 {
		t.Fatal("no-op diff touched the directory")
	}

	// 3. An added enum value, a new enum type and a new column, in the same
	// second as the first diff: versions bump past it, the enum value gets
	// its own file before the rest.
	res, err = schemadiff.Diff(ctx, dev, dir, widgets(statuses("active", "suspended", "archived"), withColor, withKind), "more", clock("20260301120000"))
	if err != nil {
		t.Fatal(err)
	}
	assertWritten(t, dir, res, "20260301120001_more_enum_values.sql", "20260301120002_more.sql")
	golden(t, filepath.Join(dir, "20260301120001_more_enum_values.sql"), "testdata/more_enum_values.golden")
	golden(t, filepath.Join(dir, "20260301120002_more.sql"), "testdata/more.golden")

	// The directory applies (with internal/migrate), and agrees with the schema.
	db := scratchDB(t)
	if _, err := db.Exec(`SELECT 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Up(ctx, db, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO widgets (id, name, status, kind) VALUES (gen_random_uuid(), 'w', 'archived', 'large')`); err != nil {
		t.Fatalf("new enum values unusable after apply: %v", err)
	}
	plan, err := schemadiff.Compute(ctx, dev, os.DirFS(dir), widgets(statuses("active", "suspended", "archived"), withColor, withKind), "x")
	if err != nil || !plan.Empty() {
		t.Fatalf("after step 3: plan %+v, err %v", plan, err)
	}
}

func TestDiffRefusesDestructive(t *testing.T) {
	ctx := context.Background()
	dev := devURL(t)
	dir := t.TempDir()
	if _, err := schemadiff.Diff(ctx, dev, dir, widgets(withColor), "init", clock("20260301120000")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		tables []*entschema.Table
		code   string
	}{
		{"dropped column", widgets(), "DS103"},
		{"dropped index", widgets(withColor, noIndex), "CD-IDX"},
		{"narrowed type", widgets(withColor, nameIsInt), "CT-NARROW"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := schemadiff.Diff(ctx, dev, dir, tt.tables, "destroy", clock("20260301130000"))
			var de *schemadiff.DestructiveError
			if !errors.As(err, &de) || !errors.Is(err, schemadiff.ErrDestructive) {
				t.Fatalf("err = %v, want *DestructiveError", err)
			}
			if len(de.Findings) != 1 || de.Findings[0].Code != tt.code || de.Findings[0].Statement == "" {
				t.Fatalf("findings %+v, want one %s", de.Findings, tt.code)
			}
			if n := len(sqlFiles(t, dir)); n != 1 {
				t.Fatalf("%d files after a refused diff", n)
			}
		})
	}
	// Allowed explicitly, the drop is written.
	res, err := schemadiff.Diff(ctx, dev, dir, widgets(), "drop_color", clock("20260301130000"), schemadiff.AllowDestructive(true))
	if err != nil {
		t.Fatal(err)
	}
	assertWritten(t, dir, res, "20260301130000_drop_color.sql")
	if got := read(t, res.Written[0]); !strings.Contains(got, `DROP COLUMN "color"`) {
		t.Fatalf("written:\n%s", got)
	}
}

func TestDiffUnsupportedEnumChanges(t *testing.T) {
	ctx := context.Background()
	dev := devURL(t)
	dir := t.TempDir()
	if _, err := schemadiff.Diff(ctx, dev, dir, widgets(statuses("active", "suspended", "archived")), "init"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		vals []string
		msg  string
	}{
		{"removed value", []string{"active", "suspended"}, "loses value(s) archived"},
		{"reordered values", []string{"suspended", "active", "archived"}, "reorders"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := schemadiff.Diff(ctx, dev, dir, widgets(statuses(tt.vals...)), "change", schemadiff.AllowDestructive(true))
			if !errors.Is(err, schemadiff.ErrUnsupported) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want ErrUnsupported mentioning %q", err, tt.msg)
			}
		})
	}
}

func TestComputeRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	dev := devURL(t)
	dir := t.TempDir()
	for _, tt := range []struct {
		name, migration, msg string
		tables               []*entschema.Table
	}{
		{"name with spaces", "add users", "migration name", widgets()},
		{"no tables", "init", "no tables", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := schemadiff.Diff(ctx, dev, dir, tt.tables, tt.migration)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want mention of %q", err, tt.msg)
			}
		})
	}
	if _, err := schemadiff.Diff(ctx, dev, filepath.Join(dir, "missing"), widgets(), "init"); err == nil {
		t.Fatal("missing directory accepted")
	}
	// A directory that fails atlas.sum verification is refused, naming the file.
	if _, err := schemadiff.Diff(ctx, dev, dir, widgets(), "init"); err != nil {
		t.Fatal(err)
	}
	f := sqlFiles(t, dir)[0]
	if err := os.WriteFile(filepath.Join(dir, f), []byte("SELECT 1;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := schemadiff.Diff(ctx, dev, dir, widgets(), "next"); err == nil || !strings.Contains(err.Error(), f) {
		t.Fatalf("tampered directory: err = %v", err)
	}
}

func assertWritten(t *testing.T, dir string, res *schemadiff.Result, names ...string) {
	t.Helper()
	var want []string
	for _, n := range names {
		want = append(want, filepath.Join(dir, n))
	}
	if !slices.Equal(res.Written, want) {
		t.Fatalf("wrote %v, want %v", res.Written, want)
	}
	sum := read(t, filepath.Join(dir, "atlas.sum"))
	for _, n := range names {
		if !strings.Contains(sum, "\n"+n+" h1:") {
			t.Fatalf("atlas.sum lacks %s:\n%s", n, sum)
		}
	}
}

func golden(t *testing.T, got, want string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(want, []byte(read(t, got)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if g, w := read(t, got), read(t, want); g != w {
		t.Fatalf("%s differs from %s:\n%s", got, want, g)
	}
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sqlFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

// scratchDB returns an empty database.
func scratchDB(t *testing.T) *sql.DB { return dbtest.New(t, dbtest.Empty()).OpenDB(t) }

// TestDiffComparesChecksInNormalForm: CHECKs are compared as PostgreSQL
// stores them, as `atlas migrate diff` does. The same CHECK written another
// equivalent way plans nothing; an edited CHECK is planned; a CHECK whose
// printed form PostgreSQL changes again on apply (a perpetual diff for
// atlas) is refused with the form to write instead.
func TestDiffComparesChecksInNormalForm(t *testing.T) {
	ctx := context.Background()
	dev := devURL(t)
	dir := t.TempDir()
	between := `char_length(name) BETWEEN 1 AND 100`
	if _, err := schemadiff.Diff(ctx, dev, dir, widgets(withCheck(between)), "init", clock("20260301120000")); err != nil {
		t.Fatal(err)
	}
	sumBefore := read(t, filepath.Join(dir, "atlas.sum"))

	// Equivalent spellings: no change, in either direction, ever.
	for _, same := range []string{
		between,
		`char_length(name) >= 1 AND char_length(name) <= 100`,
		`(char_length((name)::text) >= 1) AND (char_length((name)::text) <= 100)`,
		`((char_length(name) >= 1 and char_length(name) <= 100))`,
	} {
		plan, err := schemadiff.Compute(ctx, dev, os.DirFS(dir), widgets(withCheck(same)), "same")
		if err != nil || !plan.Empty() {
			t.Fatalf("CHECK %q: plan %+v, err %v; want no change", same, plan, err)
		}
	}

	// A real change is planned (matched by name, compared by expression).
	res, err := schemadiff.Diff(ctx, dev, dir, widgets(withCheck(`char_length(name) BETWEEN 1 AND 50`)), "shorter", clock("20260301120100"))
	if err != nil {
		t.Fatal(err)
	}
	assertWritten(t, dir, res, "20260301120100_shorter.sql")
	got := read(t, res.Written[0])
	for _, want := range []string{`DROP CONSTRAINT "name_valid"`, `ADD CONSTRAINT "name_valid" CHECK`, "<= 50"} {
		if !strings.Contains(got, want) {
			t.Errorf("migration for an edited CHECK lacks %q:\n%s", want, got)
		}
	}
	// ...once: after it, nothing more.
	if plan, err := schemadiff.Compute(ctx, dev, os.DirFS(dir), widgets(withCheck(`char_length(name) BETWEEN 1 AND 50`)), "again"); err != nil || !plan.Empty() {
		t.Fatalf("after the CHECK migration: plan %+v, err %v", plan, err)
	}

	// BETWEEN inside AND: PostgreSQL prints a nested AND and flattens it
	// when that is applied, so the migration would never settle.
	sumBefore = read(t, filepath.Join(dir, "atlas.sum"))
	unstable := `char_length(name) BETWEEN 1 AND 50 AND name <> 'x'`
	_, err = schemadiff.Diff(ctx, dev, dir, widgets(withCheck(unstable)), "unstable", clock("20260301120200"))
	var ue *schemadiff.UnstableError
	if !errors.Is(err, schemadiff.ErrUnstable) || !errors.As(err, &ue) || len(ue.Changes) != 1 {
		t.Fatalf("err = %v, want an UnstableError with one change", err)
	}
	stored := `((char_length((name)::text) >= 1) AND (char_length((name)::text) <= 50) AND ((name)::text <> 'x'::text))`
	for _, want := range []string{"CHECK name_valid", stored, "write the CHECK in ent/schema in that stored form"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if n := len(sqlFiles(t, dir)); n != 2 || read(t, filepath.Join(dir, "atlas.sum")) != sumBefore {
		t.Fatalf("a refused diff touched the directory (%d files)", n)
	}
	// Written as suggested, it is planned once and then settles.
	if _, err := schemadiff.Diff(ctx, dev, dir, widgets(withCheck(stored)), "stable", clock("20260301120300")); err != nil {
		t.Fatal(err)
	}
	for _, spelled := range []string{stored, `char_length(name) >= 1 AND char_length(name) <= 50 AND name <> 'x'`} {
		if plan, err := schemadiff.Compute(ctx, dev, os.DirFS(dir), widgets(withCheck(spelled)), "again"); err != nil || !plan.Empty() {
			t.Fatalf("CHECK %q after its migration: plan %+v, err %v", spelled, plan, err)
		}
	}
}
