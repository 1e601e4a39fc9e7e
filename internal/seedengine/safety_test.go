package seedengine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/seedengine"
)

// withFile replaces one file of a test set's sources.
func withFile(s seedengine.Set[deps], name, content string) {
	s.Sources.(fstest.MapFS)[name] = &fstest.MapFile{Data: []byte(content)}
}

func TestChangedSeed(t *testing.T) {
	ctx := context.Background()
	names := []string{"0001_a", "0002_b"}
	tests := []struct {
		name     string
		env      config.Env
		mode     config.SeedChangedMode
		wantWarn bool
	}{
		{"development refuses by default", config.Development, config.SeedChangedError, false},
		{"test refuses", config.Test, config.SeedChangedError, false},
		{"development may warn", config.Development, config.SeedChangedWarn, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newTxDB(t, newTestDB(t))
			orig := newRunner(t, db, tt.env, set(config.Development, "", names, nil))
			if _, err := orig.Run(ctx, seedengine.RunOptions{}); err != nil {
				t.Fatal(err)
			}
			recorded := orig.Seeds()[1].SHA256

			// 0002_b's file is edited and a new seed 0003_c is added.
			s := set(config.Development, "", append(names, "0003_c"), nil)
			withFile(s, "0002_b.go", "package x // edited")
			r := newRunner(t, db, tt.env, s, seedengine.WithChanged(tt.mode))
			current := r.Seeds()[1].SHA256
			if current == recorded {
				t.Fatal("test setup: the edit did not change the hash")
			}

			rep, err := r.Run(ctx, seedengine.RunOptions{})
			if tt.wantWarn {
				if err != nil {
					t.Fatalf("Run with SEED_CHANGED=warn: %v", err)
				}
				if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "0002_b changed") {
					t.Errorf("warnings = %q, want one about 0002_b", rep.Warnings)
				}
				if len(rep.Applied) != 1 || rep.Applied[0].Name != "0003_c" {
					t.Errorf("applied = %+v, want only 0003_c (a changed seed never re-runs)", rep.Applied)
				}
				return
			}
			var ce *seedengine.ChangedError
			if !errors.As(err, &ce) || !errors.Is(err, seedengine.ErrChanged) {
				t.Fatalf("Run error = %v, want *ChangedError", err)
			}
			if ce.Name != "0002_b" || ce.Recorded != recorded || ce.Current != current {
				t.Errorf("ChangedError = %+v, want 0002_b %s -> %s", ce, recorded, current)
			}
			for _, want := range []string{"0002_b", recorded, current, "seeds are immutable once applied: revert the file and add a new seed"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if got := ledgerNames(t, db); fmt.Sprint(got) != "[0001_a 0002_b]" {
				t.Errorf("ledger = %v: a refused run must apply nothing", got)
			}
			// Status shows the mismatch without failing.
			st, err := r.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st[1].Name != "0002_b" || st[1].HashOK || !st[0].HashOK || !st[2].Pending {
				t.Errorf("status = %+v", st)
			}
		})
	}
}

func TestMissingSeed(t *testing.T) {
	ctx := context.Background()
	for _, env := range []config.Env{config.Development, config.Test, config.Production} {
		t.Run(string(env), func(t *testing.T) {
			setEnv := config.Development
			a, b := "0001_a", "0002_b"
			if env == config.Production {
				setEnv, a, b = config.Production, "PROD_0001_a", "PROD_0002_b"
			}
			db := newTxDB(t, newTestDB(t))
			if _, err := newRunner(t, db, env, set(setEnv, "", []string{a, b}, nil)).Run(ctx, seedengine.RunOptions{}); err != nil {
				t.Fatal(err)
			}
			// The binary lost b.
			r := newRunner(t, db, env, set(setEnv, "", []string{a}, nil))
			rep, err := r.Run(ctx, seedengine.RunOptions{})
			if env == config.Production {
				var me *seedengine.MissingError
				if !errors.As(err, &me) || !errors.Is(err, seedengine.ErrMissing) || fmt.Sprint(me.Names) != "["+b+"]" {
					t.Fatalf("Run error = %v, want *MissingError naming %s", err, b)
				}
			} else {
				if err != nil {
					t.Fatalf("Run outside production: %v, want a warning only", err)
				}
				if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], b) {
					t.Errorf("warnings = %q, want one naming %s", rep.Warnings, b)
				}
			}
			st, err := r.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(st) != 2 || st[1].Name != b || !st[1].Missing || st[1].HashOK {
				t.Errorf("status = %+v, want %s missing", st, b)
			}
		})
	}
}

func TestOutOfOrder(t *testing.T) {
	ctx := context.Background()
	db := newTxDB(t, newTestDB(t))
	if _, err := newRunner(t, db, config.Development, set(config.Development, "", []string{"0002_b"}, nil)).Run(ctx, seedengine.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	s := set(config.Development, "", []string{"0001_a", "0002_b", "0003_c"}, nil)

	_, err := newRunner(t, db, config.Development, s).Run(ctx, seedengine.RunOptions{})
	var oe *seedengine.OutOfOrderError
	if !errors.As(err, &oe) || !errors.Is(err, seedengine.ErrOutOfOrder) || fmt.Sprint(oe.Names) != "[0001_a]" || oe.LastApplied != "0002_b" {
		t.Fatalf("Run error = %v, want *OutOfOrderError for 0001_a before 0002_b", err)
	}
	if !strings.Contains(err.Error(), "SEED_ALLOW_OUT_OF_ORDER") {
		t.Errorf("error %q does not say how to allow it", err)
	}
	if got := ledgerNames(t, db); fmt.Sprint(got) != "[0002_b]" {
		t.Errorf("ledger = %v after a refused run", got)
	}

	rep, err := newRunner(t, db, config.Development, s, seedengine.WithOutOfOrder(true)).Run(ctx, seedengine.RunOptions{})
	if err != nil {
		t.Fatalf("Run with out-of-order allowed: %v", err)
	}
	if len(rep.Applied) != 2 || rep.Applied[0].Name != "0001_a" || rep.Applied[1].Name != "0003_c" || len(rep.Warnings) != 1 {
		t.Errorf("report = %+v, want 0001_a then 0003_c with a warning", rep)
	}
}

func TestFailingSeedLeavesNothing(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	halfWay := mkTenant("half-way")
	tests := []struct {
		name string
		fn   seedengine.Func[deps]
		want string
	}{
		{"error after writes", func(ctx context.Context, d deps) error {
			if err := halfWay(ctx, d); err != nil {
				return err
			}
			return boom
		}, "boom"},
		{"panic after writes", func(ctx context.Context, d deps) error {
			if err := halfWay(ctx, d); err != nil {
				return err
			}
			panic("kaput")
		}, "seed panicked: kaput"},
		{"error after a released savepoint", func(ctx context.Context, d deps) error {
			// A service's Tx method nests as a savepoint; releasing it
			// commits nothing while the seed's transaction rolls back.
			if err := d.db.WithTx(ctx, func(ctx context.Context) error { return halfWay(ctx, d) }); err != nil {
				return err
			}
			return boom
		}, "boom"},
		{"database error half-way", func(ctx context.Context, d deps) error {
			if err := halfWay(ctx, d); err != nil {
				return err
			}
			return mkTenant("no")(ctx, d) // too short for the slug rule
		}, "slug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newTxDB(t, newTestDB(t))
			names := []string{"0001_a", "0002_fails", "0003_c"}
			s := set(config.Development, "", names, map[string]seedengine.Func[deps]{"0002_fails": tt.fn})
			var out bytes.Buffer
			rep, err := newRunner(t, db, config.Development, s, seedengine.WithProgress(&out)).Run(ctx, seedengine.RunOptions{})
			var se *seedengine.SeedError
			if !errors.As(err, &se) || se.Name != "0002_fails" || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run error = %v, want *SeedError for 0002_fails containing %q", err, tt.want)
			}
			if len(rep.Applied) != 1 || fmt.Sprint(rep.Pending) != "[0002_fails 0003_c]" {
				t.Errorf("report = %+v, want 0001_a applied, 0002_fails and 0003_c pending", rep)
			}
			if got := ledgerNames(t, db); fmt.Sprint(got) != "[0001_a]" {
				t.Errorf("ledger = %v, want only 0001_a", got)
			}
			if n := count(t, db, `SELECT count(*) FROM tenants WHERE slug = 'half-way'`); n != 0 {
				t.Errorf("the failed seed's tenant survived (%d rows)", n)
			}
			if !strings.Contains(out.String(), "seed 0002_fails: failed after") {
				t.Errorf("progress lacks the failure line:\n%s", out.String())
			}
			// Fixed, the next run applies the rest.
			rep, err = newRunner(t, db, config.Development, set(config.Development, "", names, nil)).Run(ctx, seedengine.RunOptions{})
			if err != nil || len(rep.Applied) != 2 {
				t.Fatalf("retry: %+v, %v", rep, err)
			}
		})
	}
}

func TestConcurrentBootsApplyEachSeedOnce(t *testing.T) {
	const boots = 8
	ctx := context.Background()
	tdb := newTestDB(t)
	names := []string{"0001_a", "0002_b", "0003_c", "0004_d", "0005_e"}
	var mu sync.Mutex
	calls := map[string]int{}
	funcs := map[string]seedengine.Func[deps]{}
	for i, n := range names {
		funcs[n] = func(ctx context.Context, d deps) error {
			mu.Lock()
			calls[n]++
			k := calls[n]
			mu.Unlock()
			time.Sleep(20 * time.Millisecond) // widen the race window
			// A second run of the seed would add a tenant, not conflict.
			return d.db.Writer(ctx).Tenant.Create().SetSlug(fmt.Sprintf("seed-%d-run-%d", i, k)).SetDisplayName(n).Exec(ctx)
		}
	}
	runners := make([]*seedengine.Runner[deps], boots)
	dbs := make([]*txDB, boots)
	for i := range boots {
		dbs[i] = newTxDB(t, tdb) // a separate pool per boot
		runners[i] = newRunner(t, dbs[i], config.Development, set(config.Development, "", names, funcs))
	}
	start := make(chan struct{})
	reps := make([]seedengine.Report, boots)
	errs := make([]error, boots)
	var wg sync.WaitGroup
	for i := range boots {
		wg.Go(func() {
			<-start
			reps[i], errs[i] = runners[i].Run(ctx, seedengine.RunOptions{})
		})
	}
	close(start)
	wg.Wait()
	applied := 0
	for i := range boots {
		if errs[i] != nil {
			t.Errorf("boot %d: %v", i, errs[i])
		}
		applied += len(reps[i].Applied)
	}
	if applied != len(names) {
		t.Errorf("boots applied %d seeds in total, want %d", applied, len(names))
	}
	for _, n := range names {
		if calls[n] != 1 {
			t.Errorf("seed %s ran %d times, want 1", n, calls[n])
		}
	}
	if n := count(t, dbs[0], `SELECT count(*) FROM tenants`); n != len(names) {
		t.Errorf("tenants = %d, want %d", n, len(names))
	}
	if got := ledgerNames(t, dbs[0]); fmt.Sprint(got) != fmt.Sprint(names) {
		t.Errorf("ledger = %v", got)
	}
}

func TestEnvironmentMismatch(t *testing.T) {
	ctx := context.Background()
	devSet := set(config.Development, "", []string{"0001_a"}, nil)
	prodSet := set(config.Production, "", []string{"PROD_0001_a"}, nil)
	sets := map[config.Env]seedengine.Set[deps]{config.Development: devSet, config.Test: devSet, config.Production: prodSet}
	tests := []struct{ seededFor, runAs config.Env }{
		{config.Production, config.Development},
		{config.Development, config.Production},
		{config.Test, config.Development},
		{config.Production, config.Test},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("seeded for %s, run as %s", tt.seededFor, tt.runAs), func(t *testing.T) {
			db := newTxDB(t, newTestDB(t))
			if _, err := newRunner(t, db, tt.seededFor, sets[tt.seededFor]).Run(ctx, seedengine.RunOptions{}); err != nil {
				t.Fatal(err)
			}
			r := newRunner(t, db, tt.runAs, sets[tt.runAs])
			for _, c := range []struct {
				what string
				run  func() error
			}{
				{"Run", func() error { _, err := r.Run(ctx, seedengine.RunOptions{}); return err }},
				{"DryRun", func() error { _, err := r.DryRun(ctx); return err }},
				{"Status", func() error { _, err := r.Status(ctx); return err }},
			} {
				err := c.run()
				var me *seedengine.EnvironmentMismatchError
				if !errors.As(err, &me) || !errors.Is(err, seedengine.ErrEnvironmentMismatch) || me.Stamped != tt.seededFor || me.Current != tt.runAs {
					t.Fatalf("%s error = %v, want *EnvironmentMismatchError %s vs %s", c.what, err, tt.seededFor, tt.runAs)
				}
				if !strings.Contains(err.Error(), "seeded for "+string(tt.seededFor)) {
					t.Errorf("%s error %q does not say what the database was seeded for", c.what, err)
				}
			}
			if n := count(t, db, `SELECT count(*) FROM seeds`); n != 1 {
				t.Errorf("ledger rows = %d, want the original 1", n)
			}
		})
	}

	t.Run("unstamped ledger of another environment", func(t *testing.T) {
		db := newTxDB(t, newTestDB(t))
		if _, err := newRunner(t, db, config.Production, prodSet).Run(ctx, seedengine.RunOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.pool.ExecContext(ctx, `DELETE FROM app_meta`); err != nil {
			t.Fatal(err)
		}
		_, err := newRunner(t, db, config.Development, devSet).Run(ctx, seedengine.RunOptions{})
		if !errors.Is(err, seedengine.ErrEnvironmentMismatch) {
			t.Fatalf("Run error = %v, want ErrEnvironmentMismatch from the ledger rows", err)
		}
	})
}

func TestDryRunWritesNothing(t *testing.T) {
	ctx := context.Background()
	db := newTxDB(t, newTestDB(t))
	if _, err := newRunner(t, db, config.Development, set(config.Development, "", []string{"0001_a"}, nil)).Run(ctx, seedengine.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, db, config.Development, set(config.Development, "", []string{"0001_a", "0002_b", "0003_c"}, nil))
	rep, err := r.DryRun(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rep.Pending) != "[0002_b 0003_c]" || len(rep.Applied) != 0 || rep.Locked {
		t.Errorf("dry run report = %+v, want 0002_b and 0003_c pending, nothing applied, no lock", rep)
	}
	if got := ledgerNames(t, db); fmt.Sprint(got) != "[0001_a]" {
		t.Errorf("ledger after dry run = %v", got)
	}
	if n := count(t, db, `SELECT count(*) FROM tenants`); n != 1 {
		t.Errorf("tenants after dry run = %d, want 1", n)
	}
}

func TestStatus(t *testing.T) {
	ctx := context.Background()
	db := newTxDB(t, newTestDB(t))
	at := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	clock := func() time.Time { return at }
	if _, err := newRunner(t, db, config.Development, set(config.Development, "", []string{"0001_a"}, nil), seedengine.WithClock(clock)).Run(ctx, seedengine.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, db, config.Development, set(config.Development, "", []string{"0001_a", "0002_b"}, nil))
	st, err := r.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 2 {
		t.Fatalf("status = %+v", st)
	}
	a, b := st[0], st[1]
	if a.Name != "0001_a" || !a.HashOK || a.Pending || a.Missing || !a.AppliedAt.Equal(at) || a.Environment != config.Development || a.Recorded != a.Current {
		t.Errorf("applied row = %+v", a)
	}
	if b.Name != "0002_b" || b.HashOK || !b.Pending || !b.AppliedAt.IsZero() || b.Recorded != "" {
		t.Errorf("pending row = %+v", b)
	}
}

func TestLockTimeout(t *testing.T) {
	ctx := context.Background()
	tdb := newTestDB(t)
	db := newTxDB(t, tdb)
	var waiterErr error
	holder := newRunner(t, db, config.Development, set(config.Development, "", []string{"0001_a"}, map[string]seedengine.Func[deps]{
		"0001_a": func(ctx context.Context, d deps) error {
			// While this seed runs under the lock, a second boot gives up.
			waiter := newRunner(t, newTxDB(t, tdb), config.Development, set(config.Development, "", []string{"0001_a"}, nil),
				seedengine.WithLockTimeout(50*time.Millisecond))
			_, waiterErr = waiter.Run(ctx, seedengine.RunOptions{})
			return nil
		},
	}))
	if _, err := holder.Run(ctx, seedengine.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(waiterErr, seedengine.ErrLockTimeout) {
		t.Fatalf("waiter error = %v, want ErrLockTimeout", waiterErr)
	}
}

func TestUnmigratedDatabase(t *testing.T) {
	tdb := dbtest.New(t, dbtest.Empty())
	db := newTxDB(t, tdb)
	_, err := newRunner(t, db, config.Development, set(config.Development, "", []string{"0001_a"}, nil)).Run(context.Background(), seedengine.RunOptions{})
	if err == nil || !strings.Contains(err.Error(), "run the migrations before the seeds") {
		t.Fatalf("Run on an unmigrated database: %v, want a hint to migrate first", err)
	}
}
