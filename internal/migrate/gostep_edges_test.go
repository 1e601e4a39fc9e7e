package migrate_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/central/central/internal/faultdb"
	"github.com/central/central/internal/migrate"
)

// These tests guard Go-step mutants the mutation tester found alive; each
// names the deliberate bug it catches.

const stepsTable = `atlas_schema_revisions.central_go_steps`

// slowStep is logStep taking at least 30 ms, so that its duration shows.
func slowStep(version string) migrate.GoStep {
	s := logStep(version)
	run := s.Run
	s.Run = func(ctx context.Context) error {
		time.Sleep(30 * time.Millisecond)
		return run(ctx)
	}
	return s
}

// TestGoStepLedgerTimes: an applied step's ledger row has its finish time
// and its duration, and Status shows both; an in-progress (resumable) row
// has no finish time, in the table and in Status (the ledger query reads
// NULL as 'epoch'). Mutants: recordStep's `r.Done` test negated or its
// `finished = r.FinishedAt` dropped, readSteps' `!r.Done` test negated or
// its zeroing dropped, its Duration dropped, runStep's Duration of a Run
// step dropped.
func TestGoStepLedgerTimes(t *testing.T) {
	db, _ := newDB(t)
	fsys := loadFS(t, "testdata/basic")
	if _, err := migrate.Up(context.Background(), db, firstN(t, fsys, 2)); err != nil {
		t.Fatal(err)
	}
	// ver2's step runs (applied); ver3's batched step fails after one batch.
	batched := migrate.GoStep{Version: ver3, Name: "batched", Batch: func(ctx context.Context, cursor string) (string, int64, bool, error) {
		if cursor == "" {
			return "1", 1, false, nil
		}
		return "", 0, false, errors.New("injected failure")
	}}
	m, err := migrate.New(db, fsys, migrate.WithGoSteps(sqlTx(db), []migrate.GoStep{slowStep(ver2), batched}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(context.Background()); err == nil {
		t.Fatal("Up succeeded; the batched step should have failed after one batch")
	}
	rows := queryStrings(t, db, `SELECT version || ' ' || done || ' ' || (finished_at IS NULL) || ' ' || (duration_ms >= 30) FROM `+stepsTable+` ORDER BY version`)
	if want := []string{ver2 + " true false true", ver3 + " false true false"}; fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("ledger (version done finished_at-null duration>=30ms) = %q, want %q", rows, want)
	}
	st, err := m.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.GoSteps) != 2 {
		t.Fatalf("status steps %+v", st.GoSteps)
	}
	applied, inProgress := st.GoSteps[0], st.GoSteps[1]
	if applied.State != "applied" || applied.FinishedAt.IsZero() || time.Since(applied.FinishedAt) > time.Hour || applied.Duration < 30*time.Millisecond {
		t.Errorf("applied step %+v: want a recent finish time and a duration of at least 30ms", applied)
	}
	if inProgress.State != "in progress" || !inProgress.FinishedAt.IsZero() {
		t.Errorf("in-progress step %+v: want no finish time", inProgress)
	}
	// A binary without the batched step lists its row as missing, still
	// without a finish time (the ledger reads NULL as 'epoch': readSteps
	// must zero it).
	m2, err := migrate.New(db, fsys, migrate.WithGoSteps(sqlTx(db), []migrate.GoStep{slowStep(ver2)}))
	if err != nil {
		t.Fatal(err)
	}
	if st, err = m2.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(st.GoSteps) != 2 || st.GoSteps[1].State != "missing" || !st.GoSteps[1].FinishedAt.IsZero() {
		t.Errorf("status without the batched step: %+v; want it missing, with no finish time", st.GoSteps)
	}
}

// TestResumedStepKeepsItsEarlierDuration: a resumed batched step's
// duration adds the earlier runs' (here set to 1000 s, as after a long
// first run). Mutant: `prevDuration = prev.Duration` dropped (the ledger
// then forgets every run but the last).
func TestResumedStepKeepsItsEarlierDuration(t *testing.T) {
	db, _ := newDB(t)
	fail := true
	step := migrate.GoStep{Version: ver3, Name: "batched", Batch: func(ctx context.Context, cursor string) (string, int64, bool, error) {
		if cursor == "" {
			return "1", 1, false, nil
		}
		if fail {
			return "", 0, false, errors.New("injected failure")
		}
		return "2", 1, true, nil
	}}
	if _, err := upWith(t, db, []migrate.GoStep{step}); err == nil {
		t.Fatal("the first run succeeded; it should fail after one batch")
	}
	if _, err := db.Exec(`UPDATE ` + stepsTable + ` SET duration_ms = 1000000`); err != nil {
		t.Fatal(err)
	}
	fail = false
	if _, err := upWith(t, db, []migrate.GoStep{step}); err != nil {
		t.Fatal(err)
	}
	if got := queryStrings(t, db, `SELECT (duration_ms >= 1000000)::text FROM `+stepsTable); fmt.Sprint(got) != "[true]" {
		t.Errorf("resumed step's duration_ms >= the earlier 1000 s: %v", got)
	}
}

// TestFailedGoStepIsReported: a failing step is named on the progress
// writer and in an error log entry. Mutants: either report dropped.
func TestFailedGoStepIsReported(t *testing.T) {
	db, _ := newDB(t)
	bad := migrate.GoStep{Version: ver2, Name: "bad", Run: func(context.Context) error { return errors.New("boom") }}
	var out bytes.Buffer
	core, logs := observer.New(zapcore.ErrorLevel)
	if _, err := upWith(t, db, []migrate.GoStep{bad}, migrate.WithProgress(&out), migrate.WithLogger(zap.New(core))); err == nil {
		t.Fatal("Up succeeded with a failing step")
	}
	if !strings.Contains(out.String(), "go step "+ver2+"_bad: FAILED: ") || !strings.Contains(out.String(), "boom") {
		t.Errorf("progress does not report the failed step:\n%s", out.String())
	}
	if logs.FilterMessage("Go step failed").Len() != 1 {
		t.Errorf("logs %v, want one \"Go step failed\"", logs.All())
	}
}

// TestUnreadableGoStepLedger: a ledger PostgreSQL cannot read as expected
// (a column renamed, a value that does not scan) fails Up and Status with
// the server's error, instead of reading as "no step run yet" (which would
// re-run every step). Real server errors, no fault injection. Mutants:
// readSteps' error swallowed, its `errors.As(...) && (code is undefined
// table or schema)` made `||` or its 3F000 test inverted (every error
// then reads as an empty ledger), the scan error swallowed, pendingSteps'
// error swallowed.
func TestUnreadableGoStepLedger(t *testing.T) {
	for _, tt := range []struct{ name, breakIt, want string }{
		{"renamed column", `ALTER TABLE ` + stepsTable + ` RENAME COLUMN "rows" TO "rows_renamed"`, `column "rows" does not exist`},
		{"value that does not scan", `ALTER TABLE ` + stepsTable + ` ALTER COLUMN batches TYPE text; UPDATE ` + stepsTable + ` SET batches = 'many'`, "many"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := newDB(t)
			fsys := loadFS(t, "testdata/basic")
			if _, err := migrate.Up(context.Background(), db, firstN(t, fsys, 2)); err != nil {
				t.Fatal(err)
			}
			m, err := migrate.New(db, firstN(t, fsys, 2), migrate.WithGoSteps(sqlTx(db), []migrate.GoStep{logStep(ver1)}))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Up(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(tt.breakIt); err != nil {
				t.Fatal(err)
			}
			m, err = migrate.New(db, fsys, migrate.WithGoSteps(sqlTx(db), []migrate.GoStep{logStep(ver1), logStep(ver2)}))
			if err != nil {
				t.Fatal(err)
			}
			if res, err := m.Up(context.Background()); err == nil || !strings.Contains(err.Error(), "read the Go-step ledger") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Up = %+v, %v; want the ledger read error with %q", res, err, tt.want)
			}
			if st, err := m.Status(context.Background()); err == nil || !strings.Contains(err.Error(), "read the Go-step ledger") {
				t.Errorf("Status = %v, %v; want the ledger read error", st, err)
			}
			// The failed read closed its rows: no session stays checked out
			// (mutant: readSteps' `defer rows.Close()` dropped).
			if n := db.Stats().InUse; n != 0 {
				t.Errorf("%d connections still in use after the failed reads", n)
			}
			if got := queryStrings(t, db, `SELECT version FROM migration_log ORDER BY 1`); len(got) != 3 { // ver1, ver2 and the first run's go:ver1
				t.Errorf("migration_log %v: something ran on an unreadable ledger", got)
			}
		})
	}
}

// TestGoStepLedgerWriteRefused: when PostgreSQL refuses a step's ledger row
// (a trigger raising: a real server error, which aborts the step's
// transaction), Up says the ledger write failed and the step's work rolls
// back, for a Run step and a batched one. Mutants: recordStep's error
// swallowed, and runStep's `return m.recordStep(...)` made `return nil` in
// either path (the step's transaction then fails at COMMIT with a message
// that does not say why).
func TestGoStepLedgerWriteRefused(t *testing.T) {
	for _, step := range []migrate.GoStep{logStep(ver2), threeBatches(ver2)} {
		t.Run(step.Name, func(t *testing.T) { testGoStepLedgerWriteRefused(t, step) })
	}
}

func testGoStepLedgerWriteRefused(t *testing.T, step migrate.GoStep) {
	db, _ := newDB(t)
	fsys := loadFS(t, "testdata/basic")
	if _, err := migrate.Up(context.Background(), db, firstN(t, fsys, 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := upWith(t, db, []migrate.GoStep{logStep(ver1)}); err != nil { // creates the ledger
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE FUNCTION refuse_step() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'step row refused by test trigger'; END $$`,
		`CREATE TRIGGER refuse_step BEFORE INSERT ON ` + stepsTable + ` FOR EACH ROW EXECUTE FUNCTION refuse_step()`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_, err := upWith(t, db, []migrate.GoStep{logStep(ver1), step})
	if err == nil || !strings.Contains(err.Error(), "record Go step "+ver2+"_"+step.Name+" in the ledger") || !strings.Contains(err.Error(), "step row refused by test trigger") {
		t.Fatalf("Up = %v; want the refused ledger write, named", err)
	}
	if got := queryStrings(t, db, `SELECT version FROM migration_log WHERE version = 'go:`+ver2+`'`); len(got) != 0 {
		t.Error("the step's work survived its refused ledger row")
	}
}

// TestGoStepLedgerCreation: the ledger is created once per run, and a
// failure to create it stops Up before any step runs (faultdb: the CREATE
// fails, the session staying healthy). Mutants: ensureSteps' error
// swallowed, runDueSteps' `return err` after it swallowed, and
// `sp.ensured = true` dropped (the CREATE then runs before every step).
func TestGoStepLedgerCreation(t *testing.T) {
	createLedger := regexp.MustCompile(`^CREATE TABLE IF NOT EXISTS "atlas_schema_revisions"\."central_go_steps"`)
	steps := func(db *sql.DB) migrate.Option {
		return migrate.WithGoSteps(sqlTx(db), []migrate.GoStep{logStep(ver1), logStep(ver2)})
	}
	t.Run("created once", func(t *testing.T) {
		_, url := newDB(t)
		second := &faultdb.Fault{Match: createLedger, N: 2}
		db, err := faultdb.OpenDB(url, second)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := migrate.Up(context.Background(), db, loadFS(t, "testdata/basic"), steps(db)); err != nil || second.Fired() {
			t.Fatalf("Up = %v; the ledger's CREATE ran twice: %v", err, second.Fired())
		}
	})
	t.Run("creation fails", func(t *testing.T) {
		_, url := newDB(t)
		first := &faultdb.Fault{Match: createLedger}
		db, err := faultdb.OpenDB(url, first)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		_, err = migrate.Up(context.Background(), db, loadFS(t, "testdata/basic"), steps(db))
		if !first.Fired() || !errors.Is(err, faultdb.ErrInjected) || !strings.Contains(err.Error(), "create the Go-step ledger") {
			t.Fatalf("Up = %v (fired %v); want the ledger creation failure", err, first.Fired())
		}
		if got := queryStrings(t, db, `SELECT version FROM migration_log WHERE version LIKE 'go:%'`); len(got) != 0 {
			t.Errorf("steps ran without a ledger: %v", got)
		}
	})
}

// threeBatches is a batched step of three batches of one row each, each
// batch taking at least 10 ms.
func threeBatches(version string) migrate.GoStep {
	return migrate.GoStep{Version: version, Name: "three", Batch: func(ctx context.Context, cursor string) (string, int64, bool, error) {
		time.Sleep(10 * time.Millisecond)
		n := len(cursor) + 1
		return strings.Repeat("x", n), 1, n == 3, nil
	}}
}

// TestBatchedGoStepLedgerAndReports: a batched step that completes has its
// finish time (now, not the zero time) and duration in the ledger; its progress lines follow the
// report interval (every batch at 0; only the final one at 1 h), and it
// reports "ok" on the progress writer and in the log. Mutants: the
// batched path's Duration, `if done` test or FinishedAt dropped/negated,
// the report condition negated or its || made &&, each progress line or
// log entry dropped.
func TestBatchedGoStepLedgerAndReports(t *testing.T) {
	for _, tt := range []struct {
		every time.Duration
		lines int
	}{{0, 3}, {time.Hour, 1}} {
		t.Run(tt.every.String(), func(t *testing.T) {
			db, _ := newDB(t)
			var out bytes.Buffer
			core, logs := observer.New(zapcore.InfoLevel)
			m, err := migrate.New(db, loadFS(t, "testdata/basic"), migrate.WithGoSteps(sqlTx(db), []migrate.GoStep{threeBatches(ver2)}),
				migrate.WithProgress(&out), migrate.WithLogger(zap.New(core)))
			if err != nil {
				t.Fatal(err)
			}
			migrate.SetStepReportEvery(m, tt.every)
			if _, err := m.Up(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(out.String(), "go step "+ver2+"_three: "); n != tt.lines+1 || !strings.Contains(out.String(), `3 batch(es), 3 row(s), cursor "xxx"`) ||
				!strings.Contains(out.String(), "go step "+ver2+"_three: ok (") {
				t.Errorf("progress has %d lines for the step, want %d batch lines (the last one final) and \"ok\":\n%s", n, tt.lines, out.String())
			}
			if p, a := logs.FilterMessage("Go step progress").Len(), logs.FilterMessage("Go step applied").Len(); p != tt.lines || a != 1 {
				t.Errorf("logged %d progress and %d applied entries, want %d and 1", p, a, tt.lines)
			}
			rows := queryStrings(t, db, `SELECT done || ' ' || (finished_at > now() - interval '1 hour') || ' ' || (duration_ms >= 30) FROM `+stepsTable)
			if fmt.Sprint(rows) != "[true true true]" {
				t.Errorf("ledger (done, finished within the hour, duration >= 30ms) = %v", rows)
			}
		})
	}
}

// TestReportStringGoSteps: Report.String renders each Go step state on its
// own line under a heading. Mutants: the heading or any state's line
// dropped.
func TestReportStringGoSteps(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := &migrate.Report{Current: ver2, GoSteps: []migrate.GoStepStatus{
		{Version: ver1, Name: "a", State: "applied", FinishedAt: at, Duration: 1500 * time.Millisecond, Batches: 1, Rows: 0},
		{Version: ver2, Name: "b", State: "in progress", Batches: 2, Rows: 20, Cursor: "c20"},
		{Version: ver3, Name: "c", State: "pending"},
		{Version: "20250101000001", Name: "old", State: "missing"},
	}}
	want := "current version: " + ver2 + "\n" +
		"go data migrations:\n" +
		"  " + ver1 + "_a  applied  2026-01-02T03:04:05Z  1.5s  1 batch(es), 0 row(s)\n" +
		"  " + ver2 + `_b  IN PROGRESS: 2 batch(es), 20 row(s), resumes after cursor "c20"` + "\n" +
		"  " + ver3 + "_c  pending\n" +
		"  20250101000001_old  applied, NOT IN THIS BINARY\n"
	if got := r.String(); got != want {
		t.Errorf("String:\n%s\nwant:\n%s", got, want)
	}
}

// TestOneBatchStepFinishTime: a batched step done in its first batch
// records its finish time. Mutant: `if done` negated (the finish time is
// then only carried over from an earlier batch, and a one-batch step gets
// the zero time).
func TestOneBatchStepFinishTime(t *testing.T) {
	db, _ := newDB(t)
	step := migrate.GoStep{Version: ver2, Name: "one", Batch: func(context.Context, string) (string, int64, bool, error) {
		return "end", 1, true, nil
	}}
	if _, err := upWith(t, db, []migrate.GoStep{step}); err != nil {
		t.Fatal(err)
	}
	if got := queryStrings(t, db, `SELECT (finished_at > now() - interval '1 hour')::text FROM `+stepsTable); fmt.Sprint(got) != "[true]" {
		t.Errorf("one-batch step finished within the hour: %v", got)
	}
}
