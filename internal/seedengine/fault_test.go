package seedengine_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/central/central/ent"
	entseed "github.com/central/central/ent/seed"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/faultdb"
	"github.com/central/central/internal/seedengine"
)

// These tests guard mutants the mutation tester (internal/tools/mutate)
// found alive; each names the deliberate bug it catches.

// newFaultTxDB is newTxDB over a faultdb handle: real sessions on the test
// database, the chosen statements failing once (the session staying
// healthy). Every use opens a session, so CONNECT faults see them all.
func newFaultTxDB(t *testing.T, url string, admin *txDB, faults ...*faultdb.Fault) *txDB {
	t.Helper()
	pool, err := faultdb.OpenDB(url, faults...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	pool.SetMaxIdleConns(0)
	return &txDB{pool: pool, client: ent.NewClient(ent.Driver(entsql.OpenDB(dialect.Postgres, pool))), admin: admin.admin}
}

var (
	stampRead  = regexp.MustCompile(`FROM "app_meta"`)
	ledgerRead = regexp.MustCompile(`^SELECT .* FROM "seeds"`)
	newSession = regexp.MustCompile(`^` + faultdb.Connect + `$`)
	unlock     = regexp.MustCompile(`^SELECT pg_advisory_unlock`)
)

// TestRunFailsWhenADatabaseCallFails: whichever of Run's reads (or its
// lock session) fails, Run returns that failure and applies nothing.
func TestRunFailsWhenADatabaseCallFails(t *testing.T) {
	tests := []struct {
		name  string
		fault *faultdb.Fault
		want  string
	}{
		// Mutant: check.go "return nil instead of fmt.Errorf("seed: read environment stamp: %w", err)".
		{"environment stamp read", &faultdb.Fault{Match: stampRead}, "read environment stamp"},
		// Mutant: check.go "return nil instead of fmt.Errorf("seed: read seed ledger: %w", err)".
		{"ledger read", &faultdb.Fault{Match: ledgerRead}, "read seed ledger"},
		// Mutant: lock.go "return nil instead of fmt.Errorf("seed: open lock connection: %w", err)".
		{"lock session", &faultdb.Fault{Match: newSession, After: ledgerRead}, "open lock connection"},
		// Mutant: runner.go Run's "return rep, err" after the re-check under
		// the lock swallowed (seeds run on a plan that failed).
		{"ledger re-read under the lock", &faultdb.Fault{Match: ledgerRead, N: 2}, "read seed ledger"},
	}
	names := []string{"0001_first_one", "0002_second_one"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tdb := newTestDB(t)
			plain := newTxDB(t, tdb)
			db := newFaultTxDB(t, tdb.URL, plain, tt.fault)
			rep, err := newRunner(t, db, config.Development, set(config.Development, "", names, nil)).Run(context.Background(), seedengine.RunOptions{})
			if !tt.fault.Fired() {
				t.Fatalf("the fault never fired (Run: %+v, %v)", rep, err)
			}
			if !errors.Is(err, faultdb.ErrInjected) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run = %+v, %v; want the injected failure, with %q", rep, err, tt.want)
			}
			if n := count(t, plain, `SELECT count(*) FROM seeds`); n != 0 || len(rep.Applied) != 0 {
				t.Errorf("%d ledger rows, %d applied after a failed Run; want none", n, len(rep.Applied))
			}
		})
	}
}

// TestFailedUnlockIsLogged: a seed run whose unlock fails still succeeds
// (the seeds committed; closing the session frees the lock) but logs a
// warning. Mutants: the unlock error's check negated (a warning for every
// successful unlock, none for a failed one), the warning dropped.
func TestFailedUnlockIsLogged(t *testing.T) {
	tdb := newTestDB(t)
	plain := newTxDB(t, tdb)
	for _, fail := range []bool{false, true} {
		f := &faultdb.Fault{Match: unlock}
		if !fail {
			f.Match = regexp.MustCompile(`^never$`)
		}
		db := newFaultTxDB(t, tdb.URL, plain, f)
		core, logs := observer.New(zapcore.WarnLevel)
		name := "0001_first_one"
		if fail {
			name = "0002_second_one"
		}
		names := []string{"0001_first_one", name}
		if _, err := newRunner(t, db, config.Development, set(config.Development, "", names, nil), seedengine.WithLogger(zap.New(core))).Run(context.Background(), seedengine.RunOptions{}); err != nil {
			t.Fatalf("Run (unlock fails: %v): %v", fail, err)
		}
		if got := logs.FilterMessage("release seed lock").Len(); got != map[bool]int{false: 0, true: 1}[fail] || f.Fired() != fail {
			t.Errorf("unlock fails: %v (fired %v): %d \"release seed lock\" warnings; logs %v", fail, f.Fired(), got, logs.All())
		}
	}
}

// TestLedgerWriteFailureIsReported: when PostgreSQL refuses the ledger row
// or the environment stamp (here a trigger raising, a real server error
// that aborts the seed's transaction), Run's error says which write failed,
// and the seed rolls back. Mutants: record's "stamp database environment"
// or "record seed in the ledger" error swallowed, or apply's `return
// r.record(...)` made `return nil`: the seed function then "succeeds", its
// COMMIT turns into a rollback, and the error no longer says why.
func TestLedgerWriteFailureIsReported(t *testing.T) {
	tests := []struct{ table, want string }{
		{"seeds", "record seed in the ledger"},
		{"app_meta", "stamp database environment"},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			tdb := newTestDB(t)
			db := newTxDB(t, tdb)
			for _, q := range []string{
				`CREATE FUNCTION refuse_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'write refused by test trigger'; END $$`,
				`CREATE TRIGGER refuse_write BEFORE INSERT ON ` + tt.table + ` FOR EACH ROW EXECUTE FUNCTION refuse_write()`,
			} {
				if _, err := db.admin.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			_, err := newRunner(t, db, config.Development, set(config.Development, "", []string{"0001_first_one"}, nil)).Run(context.Background(), seedengine.RunOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "write refused by test trigger") {
				t.Fatalf("Run = %v; want an error saying %q with the server's reason", err, tt.want)
			}
			if n := count(t, db, `SELECT count(*) FROM tenants WHERE slug = 'first-one'`); n != 0 {
				t.Errorf("the seed's tenant survived the failed ledger write (%d rows)", n)
			}
		})
	}
}

// TestWarningsOfTheRecheckUnderTheLock: what another instance wrote to the
// ledger while this run waited for the lock shows in the report, the
// progress writer and the log: here a ledger row of a seed this binary
// lacks (a newer release ran). Mutants: the report's warnings, their
// printing (r.warn) after the re-check, or the zap entry of a warning,
// dropped.
func TestWarningsOfTheRecheckUnderTheLock(t *testing.T) {
	tdb := newTestDB(t)
	db := newTxDB(t, tdb)
	held := holdSeedLock(t, db)
	var out bytes.Buffer
	core, logs := observer.New(zapcore.WarnLevel)
	r := newRunner(t, db, config.Development, set(config.Development, "", []string{"0001_first_one"}, nil),
		seedengine.WithProgress(&out), seedengine.WithLogger(zap.New(core)))
	type result struct {
		rep seedengine.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := r.Run(context.Background(), seedengine.RunOptions{})
		done <- result{rep, err}
	}()
	// Wait until the run waits for the lock: its plan was made without the row.
	deadline := time.Now().Add(10 * time.Second)
	for count(t, db, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the run never waited for the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := db.client.Seed.Create().SetName("0000_from_a_newer_release").SetEnvironment(entseed.EnvironmentDevelopment).
		SetSha256(strings.Repeat("ab", 32)).SetAppliedAt(time.Now()).SetDurationMs(1).SetAppVersion("newer").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	if len(res.rep.Warnings) != 1 || !strings.Contains(res.rep.Warnings[0], "0000_from_a_newer_release") {
		t.Errorf("report warnings %q; want the row written while the run waited", res.rep.Warnings)
	}
	if !strings.Contains(out.String(), "warning: ") || !strings.Contains(out.String(), "0000_from_a_newer_release") {
		t.Errorf("the warning was not printed:\n%s", out.String())
	}
	if logs.FilterMessageSnippet("0000_from_a_newer_release").Len() != 1 {
		t.Errorf("the warning was not logged: %v", logs.All())
	}
}

// TestLedgerRecordsTheSeedsDuration: the ledger's duration_ms and the
// report's Duration are the seed's run time on the runner's clock (here
// one that advances 1.5 s per reading). Mutant: `d = r.o.now().Sub(start)`
// dropped (every seed recorded as taking 0 ms).
func TestLedgerRecordsTheSeedsDuration(t *testing.T) {
	db := newTxDB(t, newTestDB(t))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ticks int
	clock := func() time.Time { ticks++; return t0.Add(time.Duration(ticks) * 1500 * time.Millisecond) }
	rep, err := newRunner(t, db, config.Development, set(config.Development, "", []string{"0001_first_one"}, nil), seedengine.WithClock(clock)).Run(context.Background(), seedengine.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Applied) != 1 || rep.Applied[0].Duration < 1500*time.Millisecond {
		t.Fatalf("applied %+v; want a duration of at least one clock tick (1.5 s)", rep.Applied)
	}
	if ms := count(t, db, `SELECT duration_ms FROM seeds`); int64(ms) != rep.Applied[0].Duration.Milliseconds() {
		t.Errorf("ledger duration_ms %d, report %s", ms, rep.Applied[0].Duration)
	}
}

// TestProgressFromASeed: a seed's Progress(ctx).Printf and .Count reach
// the progress writer with the seed's name, Count at the interval
// WithProgressInterval set (0: every call; the clock here never moves, so
// the default 1 s would print only the final count). Mutants: Printf
// returning at once or not writing, WithProgressInterval not stored.
func TestProgressFromASeed(t *testing.T) {
	db := newTxDB(t, newTestDB(t))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	seed := func(ctx context.Context, d deps) error {
		seedengine.Progress(ctx).Printf("loading %d rows", 3)
		for i := int64(1); i <= 2; i++ {
			seedengine.Progress(ctx).Count("rows", i, 3)
		}
		return nil
	}
	var out bytes.Buffer
	s := set(config.Development, "", []string{"0001_progress"}, map[string]seedengine.Func[deps]{"0001_progress": seed})
	if _, err := newRunner(t, db, config.Development, s, seedengine.WithProgress(&out), seedengine.WithProgressInterval(0),
		seedengine.WithClock(func() time.Time { return t0 })).Run(context.Background(), seedengine.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"seed 0001_progress: loading 3 rows\n", "seed 0001_progress: 1/3 rows (33%)\n", "seed 0001_progress: 2/3 rows (67%)\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, out.String())
		}
	}
}

// inTxDB is txDB reporting whether ctx carries one of its transactions, as
// the app's *db.DB does.
type inTxDB struct{ *txDB }

func (d inTxDB) InTx(ctx context.Context) bool { _, ok := ctx.Value(txKey{}).(*txState); return ok }

// TestRunRefusesAnOuterTransaction: Run inside a transaction of the
// Database refuses (its seeds would commit after the lock is released).
// Mutant: that refusal's error swallowed.
func TestRunRefusesAnOuterTransaction(t *testing.T) {
	db := newTxDB(t, newTestDB(t))
	r, err := seedengine.New(inTxDB{db}, config.Development, set(config.Development, "", []string{"0001_first_one"}, nil), deps{db})
	if err != nil {
		t.Fatal(err)
	}
	var runErr error
	_ = db.WithTx(context.Background(), func(ctx context.Context) error {
		_, runErr = r.Run(ctx, seedengine.RunOptions{})
		return nil
	})
	if runErr == nil || !strings.Contains(runErr.Error(), "inside a transaction") {
		t.Fatalf("Run inside a transaction = %v; want a refusal", runErr)
	}
	if n := count(t, db, `SELECT count(*) FROM seeds`); n != 0 {
		t.Errorf("%d seeds applied", n)
	}
}
