package seed_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/seed"
	"github.com/central/central/internal/seedengine"
	"github.com/central/central/internal/sensitive/keyring"
	"github.com/central/central/internal/service"
)

// appEnv is the app's real database module and services on one test
// database, with its own pools.
type appEnv struct {
	db  *db.DB
	svc *service.Services
	raw *rawDB // for counting behind the services' back
}

func newAppEnv(t testing.TB, tdb *dbtest.DB) *appEnv {
	t.Helper()
	cfg := config.Postgres{
		ReadWrite: config.Conn{URL: config.Secret(tdb.URL), PoolSize: 3},
		ReadOnly:  config.Conn{URL: config.Secret(tdb.ReadOnlyURL), PoolSize: 2},
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := db.Open(ctx, cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Stop(context.Background()) })
	kr, err := keyring.NewLocal("local", 1, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kr.Close() })
	svc, err := service.NewServices(zaptest.NewLogger(t), d, kr)
	if err != nil {
		t.Fatal(err)
	}
	return &appEnv{db: d, svc: svc, raw: newRawDB(t, tdb)}
}

func (e *appEnv) runner(t testing.TB, names []string, funcs map[string]seed.Func, opts ...seedengine.Option) *seed.AppRunner {
	t.Helper()
	files := map[string]seed.Func{}
	for _, n := range names {
		files[n] = funcs[n]
	}
	database, err := seed.FromDB(e.db)
	if err != nil {
		t.Fatal(err)
	}
	r, err := seedengine.New(database, config.Development, seed.AppSet{Env: config.Development, Sources: sources(names), Funcs: files},
		seed.Deps{Services: e.svc, Log: zaptest.NewLogger(t)}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func createTenant(slug string) seed.Func {
	return func(ctx context.Context, d seed.Deps) error {
		t, err := d.Services.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: slug, DisplayName: slug})
		if err != nil {
			return err
		}
		_, err = d.Services.Users.TxCreateUser(ctx, t.ID, service.CreateUserInput{Email: "a@" + slug + ".example", Tags: map[string]string{"k": "v"}})
		return err
	}
}

// TestWithAppServices runs seeds through the real *db.DB and services: the
// services' Tx methods become savepoints of the seed's transaction, so a
// seed failing after them leaves no tenant, user, tag, audit event or
// ledger row.
func TestWithAppServices(t *testing.T) {
	ctx := context.Background()
	e := newAppEnv(t, newTestDB(t))
	r := e.runner(t, []string{"0001_ok", "0002_fails"}, map[string]seed.Func{
		"0001_ok": createTenant("seeded"),
		"0002_fails": func(ctx context.Context, d seed.Deps) error {
			if err := createTenant("half-way")(ctx, d); err != nil {
				return err
			}
			return errors.New("boom")
		},
	})
	_, err := r.Run(ctx, seedengine.RunOptions{})
	var se *seedengine.SeedError
	if !errors.As(err, &se) || se.Name != "0002_fails" {
		t.Fatalf("Run error = %v, want 0002_fails to fail", err)
	}
	for _, c := range []struct {
		query string
		want  int
	}{
		{`SELECT count(*) FROM tenants`, 1},
		{`SELECT count(*) FROM users`, 1},
		{`SELECT count(*) FROM user_tags`, 1},
		{`SELECT count(*) FROM audit_events`, 2}, // tenant.create and user.create of 0001_ok
		{`SELECT count(*) FROM seeds`, 1},
		{`SELECT count(*) FROM tenants WHERE slug = 'half-way'`, 0},
	} {
		if n := count(t, e.raw, c.query); n != c.want {
			t.Errorf("%s = %d, want %d", c.query, n, c.want)
		}
	}
}

// TestConcurrentBootsWithAppServices: 8 boots, each with its own *db.DB
// (separate pools), apply each seed once.
func TestConcurrentBootsWithAppServices(t *testing.T) {
	const boots = 8
	ctx := context.Background()
	tdb := newTestDB(t)
	names := []string{"0001_a", "0002_b", "0003_c"}
	var mu sync.Mutex
	calls := map[string]int{}
	funcs := map[string]seed.Func{}
	for i, n := range names {
		funcs[n] = func(ctx context.Context, d seed.Deps) error {
			mu.Lock()
			calls[n]++
			k := calls[n]
			mu.Unlock()
			time.Sleep(10 * time.Millisecond)
			return createTenant(fmt.Sprintf("seed-%d-run-%d", i, k))(ctx, d)
		}
	}
	envs := make([]*appEnv, boots)
	runners := make([]*seed.AppRunner, boots)
	for i := range boots {
		envs[i] = newAppEnv(t, tdb)
		runners[i] = envs[i].runner(t, names, funcs)
	}
	start := make(chan struct{})
	errs := make([]error, boots)
	var wg sync.WaitGroup
	for i := range boots {
		wg.Go(func() {
			<-start
			_, errs[i] = runners[i].Run(ctx, seedengine.RunOptions{})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("boot %d: %v", i, err)
		}
	}
	for _, n := range names {
		if calls[n] != 1 {
			t.Errorf("seed %s ran %d times, want 1", n, calls[n])
		}
	}
	if n := count(t, envs[0].raw, `SELECT count(*) FROM tenants`); n != len(names) {
		t.Errorf("tenants = %d, want %d", n, len(names))
	}
}

func TestRunDetached(t *testing.T) {
	e := newAppEnv(t, newTestDB(t))
	t.Run("outlives its parent context", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		r := e.runner(t, []string{"0001_slow"}, map[string]seed.Func{
			"0001_slow": func(ctx context.Context, d seed.Deps) error {
				cancel() // fx's start context ends while the seed runs
				time.Sleep(20 * time.Millisecond)
				return createTenant("detached")(ctx, d)
			},
		})
		rep, err := r.RunDetached(parent, time.Minute)
		if err != nil || len(rep.Applied) != 1 {
			t.Fatalf("RunDetached: %+v, %v", rep, err)
		}
	})
	t.Run("bounded by its own timeout", func(t *testing.T) {
		r := e.runner(t, []string{"0001_slow", "0002_forever"}, map[string]seed.Func{
			"0001_slow": createTenant("detached"),
			"0002_forever": func(ctx context.Context, d seed.Deps) error {
				<-ctx.Done()
				return ctx.Err()
			},
		})
		_, err := r.RunDetached(context.Background(), 100*time.Millisecond)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "SEED_TIMEOUT (100ms)") {
			t.Fatalf("RunDetached error = %v, want the SEED_TIMEOUT deadline", err)
		}
	})
}

func TestFromDBRejects(t *testing.T) {
	if _, err := seed.FromDB(nil); err == nil {
		t.Error("FromDB(nil) succeeded")
	}
	tdb := newTestDB(t)
	d, err := db.Open(context.Background(), config.Postgres{
		ReadWrite: config.Conn{URL: config.Secret(tdb.URL), PoolSize: 1},
		ReadOnly:  config.Conn{URL: config.Secret(tdb.ReadOnlyURL), PoolSize: 1},
	}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop(context.Background())
	if _, err := seed.FromDB(d); err == nil || !strings.Contains(err.Error(), "seeding needs 2") {
		t.Errorf("FromDB with a one-connection pool: %v, want a refusal", err)
	}
}

func TestRunRefusesAnOuterTransaction(t *testing.T) {
	e := newAppEnv(t, newTestDB(t))
	r := e.runner(t, []string{"0001_a"}, map[string]seed.Func{"0001_a": createTenant("outer")})
	err := e.db.WithTx(context.Background(), func(ctx context.Context) error {
		_, err := r.Run(ctx, seedengine.RunOptions{})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "inside a transaction") {
		t.Fatalf("Run inside a transaction: %v, want a refusal", err)
	}
}
