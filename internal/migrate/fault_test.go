package migrate_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/faultdb"
	"github.com/central/central/internal/migrate"
	"github.com/central/central/internal/pglock"
)

// These tests make one of Up's database calls fail (faultdb: a
// statement-level failure in front of the real server, the session staying
// healthy) and check that Up reports it and changes nothing. Each case
// names the mutant (a swallowed error) that lived before it.

var (
	revsRead     = regexp.MustCompile(`ORDER BY "version"$`)    // ReadRevisions
	revRead      = regexp.MustCompile(`WHERE "version" = \$1$`) // ReadRevision (atlas, in a file's transaction)
	revWrite     = regexp.MustCompile(`^INSERT INTO "atlas_schema_revisions"`)
	ensureDDL    = regexp.MustCompile(`^CREATE SCHEMA IF NOT EXISTS`)
	afterEnsure  = regexp.MustCompile(`^CREATE TABLE IF NOT EXISTS "atlas_schema_revisions"`)
	newSession   = regexp.MustCompile(`^` + faultdb.Connect + `$`)
	beginStmt    = regexp.MustCompile(`^` + faultdb.Begin + `$`)
	commitStmt   = regexp.MustCompile(`^` + faultdb.Commit + `$`)
	failingInsrt = regexp.MustCompile(`^INSERT INTO "missing"`)
	atlasOpen    = regexp.MustCompile(`^SELECT current_setting\('server_version_num'`)
)

// TestUpFailsWhenADatabaseCallFails: a database at version 2 of testdata/basic
// is migrated to version 3 through a handle whose chosen call fails; Up
// must return that failure, and the database must stay at version 2.
func TestUpFailsWhenADatabaseCallFails(t *testing.T) {
	all := loadFS(t, "testdata/basic")
	tests := []struct {
		name  string
		fault *faultdb.Fault
		want  string // in the error, besides the injected failure
	}{
		// Mutant: revisions.go "return nil instead of fmt.Errorf("read revisions: %w", err)"
		// (an unreadable revisions table read as "nothing applied").
		{"lock-free revisions read", &faultdb.Fault{Match: revsRead}, "read revisions"},
		// Mutant: lock.go "return nil instead of fmt.Errorf("open lock connection: %w", err)".
		{"lock connection", &faultdb.Fault{Match: newSession, After: revsRead}, "open lock connection"},
		// Mutant: migrate.go upLocked's first "return nil instead of err"
		// (the re-read under the lock failing).
		{"revisions read under the lock", &faultdb.Fault{Match: revsRead, N: 2}, "read revisions"},
		// Mutants: revisions.go "return nil instead of fmt.Errorf("create
		// revisions table: %w", err)" and upLocked's swallowed ensure error.
		{"revisions table DDL", &faultdb.Fault{Match: ensureDDL}, "create revisions table"},
		// Mutant: migrate.go "return nil instead of fmt.Errorf("compute pending migrations: %w", err)".
		{"atlas's pending computation", &faultdb.Fault{Match: revsRead, N: 3}, "compute pending migrations"},
		// Mutant: migrate.go "return nil instead of fmt.Errorf("begin transaction for %s: %w", ...)".
		{"BEGIN of the file", &faultdb.Fault{Match: beginStmt, After: afterEnsure}, "begin transaction for " + v3},
		// Mutant: revisions.go ReadRevision's "return nil instead of err".
		{"atlas's revision read in the file's transaction", &faultdb.Fault{Match: revRead}, ""},
		// Mutant: revisions.go "return nil instead of fmt.Errorf("write revision %s: %w", ...)".
		{"revision write", &faultdb.Fault{Match: revWrite}, "write revision"},
		// Mutants: migrate.go's two "return nil instead of fmt.Errorf("open
		// atlas driver: %w", err)" (atlas's postgres.Open reads the server
		// version first: under the lock, then in each file's transaction).
		{"atlas driver under the lock", &faultdb.Fault{Match: atlasOpen}, "open atlas driver"},
		{"atlas driver in the file's transaction", &faultdb.Fault{Match: atlasOpen, N: 2}, "open atlas driver"},
		// Mutant: migrate.go "return nil instead of fmt.Errorf("commit %s: %w", ...)".
		{"COMMIT of the file", &faultdb.Fault{Match: commitStmt, After: afterEnsure}, "commit " + v3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			tdb := dbtest.New(t, dbtest.Empty())
			plain := tdb.OpenDB(t)
			if _, err := migrate.Up(ctx, plain, firstN(t, all, 2)); err != nil {
				t.Fatal(err)
			}
			db, err := faultdb.OpenDB(tdb.URL, tt.fault)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			db.SetMaxIdleConns(0) // every use opens a session: CONNECT faults see them all

			res, err := migrate.Up(ctx, db, all)
			if !tt.fault.Fired() {
				t.Fatalf("the fault never fired (Up: %+v, %v): the test no longer reaches that call", res, err)
			}
			if !errors.Is(err, faultdb.ErrInjected) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Up = %+v, %v; want the injected failure, with %q", res, err, tt.want)
			}
			st, err := migrate.Status(ctx, plain, all)
			if err != nil {
				t.Fatal(err)
			}
			if st.Current != "20260101000002" || len(st.Pending) != 1 {
				t.Errorf("after the failed Up: %s; want version 2 with %s pending", st, v3)
			}
			if cols := queryStrings(t, plain, `SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'email'`); len(cols) != 0 {
				t.Error("the failed file's column exists: its transaction committed")
			}
		})
	}
}

// TestStatusFailsWhenRevisionsCannotBeRead: Status returns the read error
// instead of a report of an empty database. Mutant: status.go's first
// "return nil instead of err" after ReadRevisions.
func TestStatusFailsWhenRevisionsCannotBeRead(t *testing.T) {
	ctx := context.Background()
	tdb := dbtest.New(t, dbtest.Empty())
	all := loadFS(t, "testdata/basic")
	if _, err := migrate.Up(ctx, tdb.OpenDB(t), all); err != nil {
		t.Fatal(err)
	}
	f := &faultdb.Fault{Match: revsRead}
	db, err := faultdb.OpenDB(tdb.URL, f)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if st, err := migrate.Status(ctx, db, all); !errors.Is(err, faultdb.ErrInjected) {
		t.Fatalf("Status = %v, %v; want the injected read failure", st, err)
	}
}

// TestTxModeNoneUnrecordedFailureIsReported: when a txmode-none file fails
// and atlas then cannot record that failure in the revisions table, Up's
// error carries both (the next run must know its partial progress may be
// unrecorded). Mutants: besides' `e != error(se)` negated (the statement
// error reported twice and the recording failure lost), and its append
// dropped.
func TestTxModeNoneUnrecordedFailureIsReported(t *testing.T) {
	ctx := context.Background()
	tdb := dbtest.New(t, dbtest.Empty())
	base := firstN(t, loadFS(t, "testdata/basic"), 1)
	const name = "20260101000002_concurrently.sql"
	bad := "-- atlas:txmode none\n\nCREATE INDEX CONCURRENTLY \"accounts_name\" ON \"accounts\" (\"name\");\nINSERT INTO \"missing\" VALUES (1);\n"
	dir := rehash(t, with(base, name, &bad))
	if _, err := migrate.Up(ctx, tdb.OpenDB(t), base); err != nil {
		t.Fatal(err)
	}
	f := &faultdb.Fault{Match: revWrite, After: failingInsrt}
	db, err := faultdb.OpenDB(tdb.URL, f)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = migrate.Up(ctx, db, dir)
	var ae *migrate.ApplyError
	if !errors.As(err, &ae) || ae.File != name || ae.Line != 4 {
		t.Fatalf("err = %v, want *ApplyError at %s:4", err, name)
	}
	if !f.Fired() {
		t.Fatal("atlas never tried to record the failure")
	}
	if !errors.Is(err, faultdb.ErrInjected) || !strings.Contains(err.Error(), "record the failure") {
		t.Errorf("err = %v; want the failed recording, as \"record the failure: …\"", err)
	}
	if n := strings.Count(err.Error(), `relation "missing" does not exist`); n != 1 {
		t.Errorf("err = %v; names the statement's error %d times, want once", err, n)
	}
}

// TestBaselineWithNothingLeftToApply: adopting a database whose schema is
// the directory's latest version writes the baseline revision, applies
// nothing, and reports that version (read back after atlas wrote the
// baseline). Mutants: that re-read dropped or its error check negated,
// res.Version not set (the result then says "" although the database is
// at version 3).
func TestBaselineWithNothingLeftToApply(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	all := loadFS(t, "testdata/basic")
	for _, n := range []string{v1, v2, v3} { // the schema, made by hand
		if _, err := db.Exec(string(all[n].Data)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := migrate.Up(ctx, db, all, migrate.WithBaseline("20260101000003"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != "20260101000003" || len(res.Applied) != 0 || !res.Locked {
		t.Fatalf("Up = %+v; want version 20260101000003, nothing applied, under the lock", res)
	}
	st, err := migrate.Status(ctx, db, all)
	if err != nil {
		t.Fatal(err)
	}
	if st.Current != "20260101000003" || len(st.Pending) != 0 || len(st.Applied) != 1 || st.Applied[0].Type != "baseline" {
		t.Fatalf("status %s", st)
	}
	if got := queryStrings(t, db, `SELECT version FROM migration_log ORDER BY 1`); !slices.Equal(got, []string{"20260101000001", "20260101000002", "20260101000003"}) {
		t.Fatalf("migration_log %v: the baseline run applied something", got)
	}
}

// TestUpReportsAFailedUnlock: Up whose unlock fails (faultdb: the unlock
// statement fails, the session staying healthy) applies its files and
// returns the unlock failure. Mutants: the Release error test negated,
// errors.Join of it dropped (a lock left held is then silent).
func TestUpReportsAFailedUnlock(t *testing.T) {
	tdb := dbtest.New(t, dbtest.Empty())
	f := &faultdb.Fault{Match: regexp.MustCompile(`^SELECT pg_advisory_unlock`)}
	db, err := faultdb.OpenDB(tdb.URL, f)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := migrate.Up(context.Background(), db, loadFS(t, "testdata/basic"))
	if !f.Fired() || !errors.Is(err, faultdb.ErrInjected) || !strings.Contains(err.Error(), "release advisory lock") {
		t.Fatalf("Up = %+v, %v (fired %v); want the unlock failure", res, err, f.Fired())
	}
	if res == nil || len(res.Applied) != 3 {
		t.Errorf("Up's result %+v; want the three files applied", res)
	}
}

// TestRecheckUnderTheLockSeesANewerDatabase: while Up waits for the lock,
// another instance (a newer release) records a version this binary lacks;
// the re-check under the lock refuses with ErrDatabaseNewer instead of
// applying on top. Mutant: upLocked's `return nil, err` after a.err()
// swallowed.
func TestRecheckUnderTheLockSeesANewerDatabase(t *testing.T) {
	ctx := context.Background()
	tdb := dbtest.New(t, dbtest.Empty())
	db := tdb.OpenDB(t)
	all := loadFS(t, "testdata/basic")
	if _, err := migrate.Up(ctx, db, firstN(t, all, 1)); err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	held, err := pglock.Acquire(ctx, conn, atlasLockKey(), 0)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := migrate.Up(ctx, db, firstN(t, all, 2))
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Up never waited for the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO atlas_schema_revisions.atlas_schema_revisions
		(version, description, type, applied, total, executed_at, execution_time, hash, operator_version)
		VALUES ('20260101000009', 'from_a_newer_release', 2, 1, 1, now(), 0, 'h1:x', 'newer')`); err != nil {
		t.Fatal(err)
	}
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, migrate.ErrDatabaseNewer) {
		t.Fatalf("Up = %v, want ErrDatabaseNewer from the re-check under the lock", err)
	}
	if got := queryStrings(t, db, `SELECT version FROM migration_log ORDER BY 1`); len(got) != 1 {
		t.Errorf("migration_log %v: Up applied on top of a newer database", got)
	}
}

// TestGoStepPathsReportFailures: the Go steps' other entry points return
// their failures: a step failing when no SQL file is pending, or after a
// baseline with nothing left to apply, and the ledger read under the lock
// failing (faultdb). Mutants: upLocked's `return res, m.runDueSteps(...)`
// made `return res, nil` on the nothing-pending and the baseline paths,
// its `return nil, err` after pendingSteps under the lock swallowed, and
// the baseline path's re-read error swallowed.
func TestGoStepPathsReportFailures(t *testing.T) {
	ctx := context.Background()
	all := loadFS(t, "testdata/basic")
	failing := migrate.GoStep{Version: ver1, Name: "fails", Run: func(context.Context) error { return errors.New("step boom") }}
	t.Run("no file pending", func(t *testing.T) {
		db, _ := newDB(t)
		if _, err := migrate.Up(ctx, db, all); err != nil {
			t.Fatal(err)
		}
		if _, err := upWith(t, db, []migrate.GoStep{failing}); err == nil || !strings.Contains(err.Error(), "step boom") {
			t.Fatalf("Up = %v, want the step's failure", err)
		}
	})
	t.Run("after a baseline", func(t *testing.T) {
		db, _ := newDB(t)
		for _, n := range []string{v1, v2, v3} {
			if _, err := db.Exec(string(all[n].Data)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := upWith(t, db, []migrate.GoStep{failing}, migrate.WithBaseline(ver3)); err == nil || !strings.Contains(err.Error(), "step boom") {
			t.Fatalf("Up = %v, want the step's failure", err)
		}
	})
	t.Run("baseline re-read fails", func(t *testing.T) {
		db0, url := newDB(t)
		for _, n := range []string{v1, v2, v3} {
			if _, err := db0.Exec(string(all[n].Data)); err != nil {
				t.Fatal(err)
			}
		}
		f := &faultdb.Fault{Match: revsRead, After: revWrite} // the first read after atlas wrote the baseline
		db, err := faultdb.OpenDB(url, f)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := migrate.Up(ctx, db, all, migrate.WithBaseline(ver3)); !f.Fired() || !errors.Is(err, faultdb.ErrInjected) {
			t.Fatalf("Up = %v (fired %v); want the re-read failure", err, f.Fired())
		}
	})
	t.Run("ledger read under the lock fails", func(t *testing.T) {
		_, url := newDB(t)
		f := &faultdb.Fault{Match: regexp.MustCompile(`FROM "atlas_schema_revisions"\."central_go_steps" ORDER BY`), N: 2}
		db, err := faultdb.OpenDB(url, f)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		_, err = upWith(t, db, []migrate.GoStep{logStep(ver1)})
		if !f.Fired() || !errors.Is(err, faultdb.ErrInjected) || !strings.Contains(err.Error(), "read the Go-step ledger") {
			t.Fatalf("Up = %v (fired %v); want the ledger read failure under the lock", err, f.Fired())
		}
		if got := queryStrings(t, db, `SELECT table_name::text FROM information_schema.tables WHERE table_name = 'migration_log'`); len(got) != 0 {
			t.Error("the first file was applied: Up went on after the failed read")
		}
	})
}
