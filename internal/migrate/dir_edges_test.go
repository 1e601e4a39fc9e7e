package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/central/central/internal/migrate"
)

// These tests guard mutants the mutation tester found alive; each names
// the deliberate bug it catches.

// TestUpAndStatusRefuseAnUnreadableDirectory: Up and Status stop at a
// migration they cannot read, before touching the database. Mutant:
// loadFrozen's "return nil, err" after loadDir swallowed (Up would go on
// with no directory).
func TestUpAndStatusRefuseAnUnreadableDirectory(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	fsys := failFS{loadFS(t, "testdata/basic"), v2}
	if _, err := migrate.Up(ctx, db, fsys); !errors.Is(err, errUnreadable) || !strings.Contains(err.Error(), "read migration "+v2) {
		t.Errorf("Up = %v, want the read error naming %s", err, v2)
	}
	if _, err := migrate.Status(ctx, db, fsys); !errors.Is(err, errUnreadable) {
		t.Errorf("Status = %v, want the read error", err)
	}
}

// TestSumIgnoreDirective: a file whose first line carries atlas's
// "atlas:sum ignore" directive is left out of atlas.sum by the atlas CLI;
// the directory must still verify. It is the case the fast
// hashing path hands to atlas (hashFiles): mutant `bytes.Contains(first,
// "atlas:")` negated (the fast path then hashes the ignored file, and the
// directory fails verification).
func TestSumIgnoreDirective(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	base := loadFS(t, "testdata/basic")
	// Every file's first line carries a directive, so that the negated
	// condition cannot fall back to atlas's hashing at the first file.
	txFile1 := "-- atlas:txmode file\n" + string(base[v1].Data)
	txFile2 := "-- atlas:txmode file\n" + string(base[v2].Data)
	ignored := "-- atlas:sum ignore\n" + string(base[v3].Data)
	dir := rehash(t, with(with(with(base, v1, &txFile1), v2, &txFile2), v3, &ignored)) // as the atlas CLI writes atlas.sum
	if strings.Contains(string(dir["atlas.sum"].Data), v3) {
		t.Fatalf("atlas.sum lists the ignored file:\n%s", dir["atlas.sum"].Data)
	}
	// Status verifies the directory through hashFiles (atlas itself then
	// refuses to apply a file missing from atlas.sum, so Up is not the test).
	st, err := migrate.Status(ctx, db, dir)
	if err != nil {
		t.Fatalf("Status with an atlas:sum ignore file: %v", err)
	}
	if len(st.Pending) != 3 {
		t.Errorf("status %s; want the three files pending", st)
	}
}

// TestGoStepErrorMessage: the error says where a batched step resumes, or
// that nothing was recorded, and unwraps to the step's error. Mutants:
// `e.Cursor != ""` negated (each message for the other case), Unwrap
// returning nil.
func TestGoStepErrorMessage(t *testing.T) {
	cause := errors.New("boom")
	for _, tt := range []struct {
		cursor, want string
	}{
		{"", "migrate: Go step 20260101000002_backfill failed (rolled back, nothing recorded; the next run retries it): boom"},
		{"42", `migrate: Go step 20260101000002_backfill failed (rolled back to cursor "42", where the next run resumes): boom`},
	} {
		err := error(&migrate.GoStepError{Version: "20260101000002", Name: "backfill", Cursor: tt.cursor, Err: cause})
		if err.Error() != tt.want {
			t.Errorf("cursor %q: %s\nwant %s", tt.cursor, err, tt.want)
		}
		if !errors.Is(fmt.Errorf("wrapped: %w", err), cause) {
			t.Errorf("cursor %q: the step's error does not unwrap", tt.cursor)
		}
	}
}

// TestUnreadableRevisions: a revisions row that does not scan, or whose
// partial hashes are not a JSON list, fails Status (and Up) with an error
// saying so, instead of being read as something else. Real server data,
// no fault injection. Mutants: the scan error and the decode error
// swallowed.
func TestUnreadableRevisions(t *testing.T) {
	for _, tt := range []struct{ name, breakIt, want string }{
		{"value that does not scan", `ALTER TABLE atlas_schema_revisions.atlas_schema_revisions ALTER COLUMN total TYPE text;
			UPDATE atlas_schema_revisions.atlas_schema_revisions SET total = 'many'`, "scan revision"},
		{"partial hashes not a list", `UPDATE atlas_schema_revisions.atlas_schema_revisions SET partial_hashes = '"not a list"'`, "decode partial hashes of revision"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db, url := newDB(t)
			all := loadFS(t, "testdata/basic")
			if _, err := migrate.Up(ctx, db, firstN(t, all, 2)); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(tt.breakIt); err != nil {
				t.Fatal(err)
			}
			db = openDB(t, url) // sessions whose cached plans predate the ALTER
			if st, err := migrate.Status(ctx, db, all); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Status = %v, %v; want an error with %q", st, err, tt.want)
			}
			if _, err := migrate.Up(ctx, db, all); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Up = %v; want an error with %q", err, tt.want)
			}
			// The failed reads closed their rows: no session stays checked
			// out (mutant: query's `defer rows.Close()` dropped).
			if n := db.Stats().InUse; n != 0 {
				t.Errorf("%d connections still in use after the failed reads", n)
			}
		})
	}
}

// TestStatusShowsExecutionTimes: Status gives each applied file the
// execution time atlas recorded. Mutant: readRevisions' ExecutionTime
// dropped (every file then shows 0s).
func TestStatusShowsExecutionTimes(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	all := loadFS(t, "testdata/basic")
	if _, err := migrate.Up(ctx, db, all); err != nil {
		t.Fatal(err)
	}
	recorded := queryStrings(t, db, `SELECT execution_time::text FROM atlas_schema_revisions.atlas_schema_revisions ORDER BY version`)
	st, err := migrate.Status(ctx, db, all)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Applied) != len(recorded) {
		t.Fatalf("status has %d applied, the table %d", len(st.Applied), len(recorded))
	}
	for i, a := range st.Applied {
		if got := fmt.Sprint(a.Duration.Nanoseconds()); got != recorded[i] || a.Duration <= 0 {
			t.Errorf("%s: Duration %s (%s ns), recorded execution_time %s ns", a.Version, a.Duration, got, recorded[i])
		}
	}
}
