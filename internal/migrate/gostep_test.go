package migrate_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/central/central/internal/migrate"
)

// sqlTx is a StepTx on a plain pool: the step finds its *sql.Tx in ctx.
func sqlTx(db *sql.DB) migrate.StepTx {
	return func(ctx context.Context, fn func(ctx context.Context, q migrate.Querier) error) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback() //nolint:errcheck // no-op after commit
		if err := fn(context.WithValue(ctx, txKey{}, tx), tx); err != nil {
			return err
		}
		return tx.Commit()
	}
}

type txKey struct{}

func txOf(ctx context.Context) *sql.Tx { return ctx.Value(txKey{}).(*sql.Tx) }

// logStep appends "go:<version>" to migration_log in the step's transaction.
func logStep(version string) migrate.GoStep {
	return migrate.GoStep{Version: version, Name: "log", Run: func(ctx context.Context) error {
		_, err := txOf(ctx).ExecContext(ctx, `INSERT INTO migration_log (version) VALUES ($1)`, "go:"+version)
		return err
	}}
}

func upWith(t testing.TB, db *sql.DB, steps []migrate.GoStep, opts ...migrate.Option) (*migrate.Result, error) {
	t.Helper()
	fsys := loadFS(t, "testdata/basic")
	m, err := migrate.New(db, fsys, append([]migrate.Option{migrate.WithGoSteps(sqlTx(db), steps)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m.Up(context.Background())
}

// Versions of testdata/basic (ver1..ver3 name its files).
const (
	ver1 = "20260101000001"
	ver2 = "20260101000002"
	ver3 = "20260101000003"
)

// TestGoStepsRunAfterTheirSQL: each step runs right after its version's
// SQL and before the next file's: the ver2 step sees ver2's upper-cased names
// and not yet ver3's email column. Running the steps after all SQL would
// put both "go:" rows at the end and show the column.
func TestGoStepsRunAfterTheirSQL(t *testing.T) {
	db, _ := newDB(t)
	var sawEmail atomic.Bool
	v2step := logStep(ver2)
	inner := v2step.Run
	v2step.Run = func(ctx context.Context) error {
		var n int
		if err := txOf(ctx).QueryRowContext(ctx, `SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'email'`).Scan(&n); err != nil {
			return err
		}
		sawEmail.Store(n > 0)
		return inner(ctx)
	}
	res, err := upWith(t, db, []migrate.GoStep{v2step, logStep(ver1)})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(queryStrings(t, db, `SELECT version FROM migration_log`), " ")
	if want := ver1 + " go:" + ver1 + " " + ver2 + " go:" + ver2 + " " + ver3; got != want {
		t.Fatalf("order %q, want %q", got, want)
	}
	if sawEmail.Load() {
		t.Fatal("the ver2 step saw ver3's column")
	}
	if len(res.GoSteps) != 2 || res.GoSteps[0].Version != ver1 || res.GoSteps[1].Version != ver2 {
		t.Fatalf("result steps %+v", res.GoSteps)
	}
	// Nothing pending: no lock, no second run.
	res, err = upWith(t, db, []migrate.GoStep{v2step, logStep(ver1)})
	if err != nil || res.Locked || len(res.GoSteps) != 0 {
		t.Fatalf("second Up: %+v, %v", res, err)
	}
}

// TestGoStepAddedToAnAppliedVersion: a binary that brings a step for a
// version the database applied earlier runs it on its next boot.
func TestGoStepAddedToAnAppliedVersion(t *testing.T) {
	db, _ := newDB(t)
	if _, err := upWith(t, db, nil); err != nil {
		t.Fatal(err)
	}
	res, err := upWith(t, db, []migrate.GoStep{logStep(ver2)})
	if err != nil || !res.Locked || len(res.GoSteps) != 1 || len(res.Applied) != 0 {
		t.Fatalf("Up: %+v, %v", res, err)
	}
}

// TestGoStepRunsOnceAcrossConcurrentBoots: eight migrators with their own
// pools boot at once; the step runs once and all of them succeed.
func TestGoStepRunsOnceAcrossConcurrentBoots(t *testing.T) {
	_, url := newDB(t)
	var runs atomic.Int32
	step := func(db *sql.DB) migrate.GoStep {
		s := logStep(ver3)
		inner := s.Run
		s.Run = func(ctx context.Context) error {
			runs.Add(1)
			time.Sleep(50 * time.Millisecond) // widen the window
			return inner(ctx)
		}
		return s
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		db := openDB(t, url)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = upWith(t, db, []migrate.GoStep{step(db)})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, url)
	if n := runs.Load(); n != 1 {
		t.Fatalf("the step ran %d times", n)
	}
	if got := queryStrings(t, db, `SELECT version FROM migration_log WHERE version LIKE 'go:%'`); len(got) != 1 {
		t.Fatalf("step rows %v", got)
	}
}

// TestFailingGoStepRollsBackAndRetries: a step that writes and then fails
// (or panics) leaves nothing and no ledger row; its SQL stays applied, and
// the next boot runs the step before any later SQL.
func TestFailingGoStepRollsBackAndRetries(t *testing.T) {
	for _, mode := range []string{"error", "panic"} {
		t.Run(mode, func(t *testing.T) {
			db, _ := newDB(t)
			bad := logStep(ver2)
			inner := bad.Run
			bad.Run = func(ctx context.Context) error {
				if err := inner(ctx); err != nil {
					return err
				}
				if mode == "panic" {
					panic("boom")
				}
				return errors.New("boom")
			}
			_, err := upWith(t, db, []migrate.GoStep{bad})
			var ge *migrate.GoStepError
			if !errors.As(err, &ge) || ge.Version != ver2 || !strings.Contains(err.Error(), "boom") {
				t.Fatalf("err = %v, want a *GoStepError for %s", err, ver2)
			}
			if got := strings.Join(queryStrings(t, db, `SELECT version FROM migration_log`), " "); got != ver1+" "+ver2 {
				t.Fatalf("after the failure: %q (the step's row must be rolled back, ver3 not applied)", got)
			}
			if got := queryStrings(t, db, `SELECT version FROM atlas_schema_revisions.central_go_steps`); len(got) != 0 {
				t.Fatalf("ledger after failure: %v", got)
			}
			res, err := upWith(t, db, []migrate.GoStep{logStep(ver2)})
			if err != nil || len(res.GoSteps) != 1 || len(res.Applied) != 1 {
				t.Fatalf("retry: %+v, %v", res, err)
			}
			if got := strings.Join(queryStrings(t, db, `SELECT version FROM migration_log`), " "); got != ver1+" "+ver2+" go:"+ver2+" "+ver3 {
				t.Fatalf("after the retry: %q", got)
			}
		})
	}
}

// TestBatchedGoStepResumes: a batched step that fails part-way keeps its
// committed batches and cursor; the next run resumes there and every row
// is processed exactly once.
func TestBatchedGoStepResumes(t *testing.T) {
	db, _ := newDB(t)
	fsys := loadFS(t, "testdata/basic")
	// Apply ver1 and fill accounts, as a database at the previous version.
	if _, err := migrate.Up(context.Background(), db, firstN(t, fsys, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO accounts (id, name) SELECT g, 'n' || g FROM generate_series(1, 10) g`); err != nil {
		t.Fatal(err)
	}
	var failAt atomic.Int64
	failAt.Store(7)
	var cursors []string
	step := migrate.GoStep{Version: ver3, Name: "mark_accounts", Batch: func(ctx context.Context, cursor string) (string, int64, bool, error) {
		cursors = append(cursors, cursor)
		after := int64(0)
		if cursor != "" {
			fmt.Sscan(cursor, &after)
		}
		tx := txOf(ctx)
		var last sql.NullInt64
		var n int64
		if err := tx.QueryRowContext(ctx, `WITH b AS (SELECT id FROM accounts WHERE id > $1 ORDER BY id LIMIT 3),
			u AS (UPDATE accounts a SET name = a.name || '!' FROM b WHERE a.id = b.id RETURNING a.id)
			SELECT max(id), count(*) FROM u`, after).Scan(&last, &n); err != nil {
			return "", 0, false, err
		}
		if f := failAt.Load(); last.Valid && last.Int64 >= f {
			return "", 0, false, errors.New("injected failure")
		}
		if n < 3 {
			return fmt.Sprint(last.Int64), n, true, nil
		}
		return fmt.Sprint(last.Int64), n, false, nil
	}}
	var out bytes.Buffer
	_, err := upWith(t, db, []migrate.GoStep{step}, migrate.WithProgress(&out))
	var ge *migrate.GoStepError
	if !errors.As(err, &ge) || ge.Cursor != "6" {
		t.Fatalf("err = %v, want a *GoStepError resuming after 6", err)
	}
	if got := queryStrings(t, db, `SELECT count(*)::text FROM accounts WHERE name LIKE '%!'`); got[0] != "6" {
		t.Fatalf("%s rows marked after the failure, want the 6 of two committed batches", got[0])
	}
	// Status shows the step in progress.
	m, err := migrate.New(db, fsys, migrate.WithGoSteps(sqlTx(db), []migrate.GoStep{step}))
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.Status(context.Background())
	if err != nil || len(st.GoSteps) != 1 || st.GoSteps[0].State != migrate.GoStepInProgress || st.GoSteps[0].Cursor != "6" {
		t.Fatalf("status %+v, %v", st, err)
	}
	if w := st.WouldRun(); len(w) != 1 || !strings.Contains(w[0], `cursor "6"`) {
		t.Fatalf("would run %q", w)
	}

	failAt.Store(1 << 40)
	cursors = nil
	res, err := upWith(t, db, []migrate.GoStep{step}, migrate.WithProgress(&out))
	if err != nil || len(res.GoSteps) != 1 || !res.GoSteps[0].Resumed || res.GoSteps[0].Rows != 10 {
		t.Fatalf("resume: %+v, %v", res, err)
	}
	if cursors[0] != "6" {
		t.Fatalf("resumed with cursor %q, want 6", cursors[0])
	}
	if got := queryStrings(t, db, `SELECT name FROM accounts WHERE name NOT LIKE '%!' OR name LIKE '%!!'`); len(got) != 0 {
		t.Fatalf("rows not processed exactly once: %v", got)
	}
	if !strings.Contains(out.String(), "go step "+ver3+"_mark_accounts: resuming after 2 batch(es)") {
		t.Fatalf("progress does not say it resumed:\n%s", out.String())
	}
}

func TestGoStepRefusals(t *testing.T) {
	t.Run("no SQL for the version", func(t *testing.T) {
		db, _ := newDB(t)
		_, err := upWith(t, db, []migrate.GoStep{logStep("20260101000009")})
		if !errors.Is(err, migrate.ErrGoStepNoSQL) || !strings.Contains(err.Error(), "20260101000009_log") {
			t.Fatalf("err = %v, want ErrGoStepNoSQL naming the step", err)
		}
		if got := queryStrings(t, db, `SELECT coalesce(to_regclass('accounts')::text, '')`); got[0] != "" {
			t.Fatal("SQL was applied although the step table is wrong")
		}
	})
	t.Run("recorded step missing from the binary", func(t *testing.T) {
		db, _ := newDB(t)
		if _, err := upWith(t, db, []migrate.GoStep{logStep(ver2)}); err != nil {
			t.Fatal(err)
		}
		_, err := upWith(t, db, []migrate.GoStep{logStep(ver1)})
		if !errors.Is(err, migrate.ErrGoStepMissing) || !strings.Contains(err.Error(), ver2+"_log") {
			t.Fatalf("err = %v, want ErrGoStepMissing naming %s_log", err, ver2)
		}
		m, err := migrate.New(db, loadFS(t, "testdata/basic"), migrate.WithGoSteps(sqlTx(db), []migrate.GoStep{logStep(ver1)}))
		if err != nil {
			t.Fatal(err)
		}
		st, err := m.Status(context.Background())
		if err != nil || !errors.Is(st.Problem, migrate.ErrGoStepMissing) || !strings.Contains(st.String(), "NOT IN THIS BINARY") {
			t.Fatalf("status %v, %v", st, err)
		}
		// A migrator without Go steps (the test harness, the diff) ignores the ledger.
		if _, err := migrate.Up(context.Background(), db, loadFS(t, "testdata/basic")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("bad tables", func(t *testing.T) {
		db, _ := newDB(t)
		run := func(context.Context) error { return nil }
		for _, tt := range []struct {
			name  string
			steps []migrate.GoStep
			want  string
		}{
			{"both", []migrate.GoStep{{Version: ver1, Name: "x", Run: run, Batch: func(context.Context, string) (string, int64, bool, error) { return "", 0, true, nil }}}, "exactly one"},
			{"neither", []migrate.GoStep{{Version: ver1, Name: "x"}}, "exactly one"},
			{"duplicate version", []migrate.GoStep{{Version: ver1, Name: "a", Run: run}, {Version: ver1, Name: "b", Run: run}}, "one Go step per version"},
			{"bad name", []migrate.GoStep{{Version: ver1, Name: "Drop Table", Run: run}}, "lower-case"},
			{"bad version", []migrate.GoStep{{Version: "ver1", Name: "x", Run: run}}, "digits"},
		} {
			_, err := migrate.New(db, loadFS(t, "testdata/basic"), migrate.WithGoSteps(sqlTx(db), tt.steps))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
			}
		}
		if _, err := migrate.New(db, loadFS(t, "testdata/basic"), migrate.WithGoSteps(nil, nil)); err == nil {
			t.Error("nil StepTx accepted")
		}
	})
	t.Run("batch that does not advance", func(t *testing.T) {
		db, _ := newDB(t)
		stuck := migrate.GoStep{Version: ver1, Name: "stuck", Batch: func(context.Context, string) (string, int64, bool, error) { return "", 0, false, nil }}
		if _, err := upWith(t, db, []migrate.GoStep{stuck}); err == nil || !strings.Contains(err.Error(), "never finish") {
			t.Fatalf("err = %v, want a refusal of a batch that does not advance", err)
		}
	})
}

func TestStatusAndWouldRunShowGoSteps(t *testing.T) {
	db, _ := newDB(t)
	fsys := loadFS(t, "testdata/basic")
	if _, err := migrate.Up(context.Background(), db, firstN(t, fsys, 1)); err != nil {
		t.Fatal(err)
	}
	m, err := migrate.New(db, fsys, migrate.WithGoSteps(sqlTx(db), []migrate.GoStep{logStep(ver1), logStep(ver2)}))
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(st.WouldRun(), ", ")
	want := "go step " + ver1 + "_log, " + ver2 + "_upper_names.sql, go step " + ver2 + "_log, " + ver3 + "_add_email.sql"
	if got != want {
		t.Fatalf("would run %q, want %q", got, want)
	}
	// Readiness counts the pending Go steps too (2 files + 2 steps).
	if n := st.PendingCount(); n != 4 {
		t.Fatalf("PendingCount = %d, want 4", n)
	}
	if _, err := m.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st, err = m.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(st.WouldRun()) != 0 || st.PendingCount() != 0 || !strings.Contains(st.String(), ver2+"_log  applied") {
		t.Fatalf("status after Up:\n%s", st)
	}
}
