package migrate_test

import (
	"context"
	"strings"
	"testing"

	"github.com/central/central/internal/migrate"
)

// These tests guard the edges the mutation tester (internal/tools/mutate)
// found unguarded; each names the deliberate bug it catches.

// TestEdgeTxModeDirectives: "file" is the default mode spelled out, and a
// file with two directives or an unknown mode is refused before anything
// runs. Bugs caught: either refusal swallowed, or "file" taken for unknown.
func TestEdgeTxModeDirectives(t *testing.T) {
	const name = "20260101000002_mode.sql"
	tests := []struct {
		name, header, wantErr string
	}{
		{"explicit file mode", "-- atlas:txmode file\n\n", ""},
		{"two directives", "-- atlas:txmode none\n-- atlas:txmode file\n\n", "has 2 txmode directives"},
		{"unknown mode", "-- atlas:txmode sometimes\n\n", `unknown txmode "sometimes"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := newDB(t)
			content := tt.header + "CREATE TABLE mode_test (id int);\n"
			dir := rehash(t, with(firstN(t, loadFS(t, "testdata/basic"), 1), name, &content))
			_, err := migrate.Up(context.Background(), db, dir)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Up = %v, want an error containing %q", err, tt.wantErr)
			}
			if n := queryStrings(t, db, `SELECT count(*)::text FROM information_schema.tables WHERE table_name = 'mode_test'`); n[0] != "0" {
				t.Error("the refused file ran")
			}
		})
	}
}

// TestEdgeStatusReportsUnknownAndChanged: Status lists revisions whose file
// this binary lacks and applied files edited since, and String shows both
// with the problem Up would refuse with. Bugs caught: the Unknown or
// Changed list left empty, or a line of String dropped.
func TestEdgeStatusReportsUnknownAndChanged(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	basic := loadFS(t, "testdata/basic")
	if _, err := migrate.Up(ctx, db, basic); err != nil {
		t.Fatal(err)
	}

	older := rehash(t, firstN(t, basic, 2))
	st, err := migrate.Status(ctx, db, older)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Unknown) != 1 || st.Unknown[0].Version != "20260101000003" || st.Problem == nil {
		t.Fatalf("status with the last file missing: %+v", st)
	}
	for _, want := range []string{"20260101000003_", "NOT IN THIS BINARY", "problem: "} {
		if !strings.Contains(st.String(), want) {
			t.Errorf("String() lacks %q:\n%s", want, st)
		}
	}

	// The last file: atlas.sum chains every file's hash into the next.
	var first string
	for n := range basic {
		if strings.HasSuffix(n, ".sql") && n > first {
			first = n
		}
	}
	edited := string(basic[first].Data) + "\n-- edited\n"
	changed := rehash(t, with(basic, first, &edited))
	st, err = migrate.Status(ctx, db, changed)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Changed) != 1 || st.Changed[0] != first {
		t.Fatalf("status with %s edited: Changed = %v", first, st.Changed)
	}
	if !strings.Contains(st.String(), first+"  CHANGED AFTER APPLY") {
		t.Errorf("String() does not show the edit:\n%s", st)
	}
}

// TestEdgeStatusOptionsAndPartialFiles: Status refuses a bad option, and
// String shows a partially applied txmode-none file as PARTIAL with its
// error. Bugs caught: New's error swallowed in Status, the PARTIAL state
// dropped from String.
func TestEdgeStatusOptionsAndPartialFiles(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	if _, err := migrate.Status(ctx, db, loadFS(t, "testdata/basic"), migrate.WithLogger(nil)); err == nil || !strings.Contains(err.Error(), "nil logger") {
		t.Errorf("Status with a nil logger: %v", err)
	}
	const name = "20260101000002_partial.sql"
	bad := "-- atlas:txmode none\n\nCREATE TABLE partial_ok (id int);\nINSERT INTO missing VALUES (1);\n"
	dir := rehash(t, with(firstN(t, loadFS(t, "testdata/basic"), 1), name, &bad))
	if _, err := migrate.Up(ctx, db, dir); err == nil {
		t.Fatal("Up of a failing file succeeded")
	}
	st, err := migrate.Status(ctx, db, dir)
	if err != nil {
		t.Fatal(err)
	}
	if s := st.String(); !strings.Contains(s, "PARTIAL 1/2: ") || !strings.Contains(s, "missing") {
		t.Errorf("String() does not show the partial file:\n%s", s)
	}
}
