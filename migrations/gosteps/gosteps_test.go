package gosteps_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"

	atlas "ariga.io/atlas/sql/migrate"
	"go.uber.org/zap"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/migrate"
	"github.com/central/central/internal/sensitive/keyring"
	"github.com/central/central/internal/service"
	"github.com/central/central/migrations"
	"github.com/central/central/migrations/gosteps"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const profileVersion = "20261201010516"

// TestStepsFollowTheirSQL: every registered step's version is a SQL file of
// migrations/ (the migrator would refuse it at boot otherwise).
func TestStepsFollowTheirSQL(t *testing.T) {
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range gosteps.Steps() {
		found := false
		for _, n := range names {
			found = found || strings.HasPrefix(n, s.Version+"_")
		}
		if !found {
			t.Errorf("step %s_%s has no SQL file %s_*.sql", s.Version, s.Name, s.Version)
		}
	}
}

// before returns migrations/ up to but excluding version, with its atlas.sum.
func before(t testing.TB, version string) fstest.MapFS {
	t.Helper()
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	out := fstest.MapFS{}
	var files []atlas.File
	for _, n := range names {
		if n >= version {
			continue
		}
		b, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			t.Fatal(err)
		}
		out[n] = &fstest.MapFile{Data: b}
		files = append(files, atlas.NewLocalFile(n, b))
	}
	sum, err := atlas.NewHashFile(files)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := sum.MarshalText()
	out[atlas.HashFileName] = &fstest.MapFile{Data: b}
	return out
}

// instance is one booting replica: its own pools, services and migrator.
type instance struct {
	db  *db.DB
	svc *service.Services
}

func newInstance(t testing.TB, tdb *dbtest.DB) *instance {
	t.Helper()
	d, err := db.Open(context.Background(), config.Postgres{
		ReadWrite: config.Conn{URL: config.Secret(tdb.URL), PoolSize: 3},
		ReadOnly:  config.Conn{URL: config.Secret(tdb.ReadOnlyURL), PoolSize: 1},
	}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Stop(context.Background()) })
	kr, err := keyring.NewLocal("local", 1, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kr.Close() })
	svc, err := service.NewServices(zap.NewNop(), d, kr)
	if err != nil {
		t.Fatal(err)
	}
	return &instance{db: d, svc: svc}
}

func (in *instance) up(t testing.TB, steps []gosteps.Step) (*migrate.Result, error) {
	t.Helper()
	tx, err := gosteps.StepTx(in.db)
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrate.New(in.db.Pools().ReadWrite.DB, migrations.FS,
		migrate.WithGoSteps(tx, gosteps.Bind(steps, gosteps.Deps{Services: in.svc, DB: in.db, Log: zap.NewNop()})))
	if err != nil {
		t.Fatal(err)
	}
	return m.Up(context.Background())
}

// previousVersionWithUsers is a database migrated to the version before
// the profile column, holding users spread over tenants (user i in tenant
// i%tenants). It returns the test database, a handle as the superuser (the
// migrations that follow put users under row-level security, which hides
// every user from the app's role when no tenant is set) and the number of
// users of each tenant.
func previousVersionWithUsers(t testing.TB, users, tenants int) (*dbtest.DB, *sql.DB, []int) {
	t.Helper()
	tdb := dbtest.New(t, dbtest.Empty())
	raw := tdb.OpenAdminDB(t)
	if _, err := migrate.Up(context.Background(), tdb.OpenDB(t), before(t, profileVersion)); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO tenants (id, slug, display_name)
		SELECT ('01936f3e-0000-7000-8000-' || lpad(g::text, 12, '0'))::uuid, 'old' || g, 'Old ' || g FROM generate_series(0, $1 - 1) g`, tenants); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO users (id, tenant_id, email)
		SELECT gen_random_uuid(), ('01936f3e-0000-7000-8000-' || lpad((g % $2)::text, 12, '0'))::uuid, 'u' || g || '@old.example'
		FROM generate_series(1, $1) g`, users, tenants); err != nil {
		t.Fatal(err)
	}
	per := make([]int, tenants)
	for g := 1; g <= users; g++ {
		per[g%tenants]++
	}
	return tdb, raw, per
}

// TestBackfillProfileLocaleOnConcurrentBoots: eight replicas boot at once
// on a database at the previous version with 2,500 users in 3 tenants; the
// profile migration applies, then its Go step backfills every user's
// locale, tenant by tenant, once (batches are counted across all
// replicas), recorded in the ledger. The rerun at the end runs under
// row-level security (applied by a later migration) as the app's role.
func TestBackfillProfileLocaleOnConcurrentBoots(t *testing.T) {
	const users, batch = 2500, 100
	tdb, raw, per := previousVersionWithUsers(t, users, 3)
	var batches atomic.Int64
	counted := func() []gosteps.Step {
		fn := gosteps.BackfillProfileLocale(gosteps.DefaultLocale, batch)
		return []gosteps.Step{{Version: profileVersion, Name: "backfill_profile_locale",
			Batch: func(ctx context.Context, d gosteps.Deps, cursor string) (string, int64, bool, error) {
				batches.Add(1)
				return fn(ctx, d, cursor)
			}}}
	}
	instances := make([]*instance, 8)
	for i := range instances {
		instances[i] = newInstance(t, tdb)
	}
	var wg sync.WaitGroup
	results := make([]*migrate.Result, len(instances))
	errs := make([]error, len(instances))
	for i, in := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = in.up(t, counted())
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, r := range results {
		ran += len(r.GoSteps)
	}
	if ran != 1 {
		t.Fatalf("%d replicas report running the step, want 1", ran)
	}
	var wantBatches int64
	for _, n := range per {
		wantBatches += int64(n/batch + 1) // each tenant ends with a short (or empty) batch
	}
	if n := batches.Load(); n != wantBatches {
		t.Fatalf("%d batches ran across the replicas, want %d (each once)", n, wantBatches)
	}
	var missing, total int
	if err := raw.QueryRow(`SELECT count(*) FILTER (WHERE profile->>'locale' IS DISTINCT FROM 'en'), count(*) FROM users`).Scan(&missing, &total); err != nil {
		t.Fatal(err)
	}
	if missing != 0 || total != users {
		t.Fatalf("%d of %d users without the default locale", missing, total)
	}
	var done bool
	var recorded int64
	if err := raw.QueryRow(`SELECT done, rows FROM atlas_schema_revisions.central_go_steps WHERE version = $1`, profileVersion).Scan(&done, &recorded); err != nil || !done || recorded != users {
		t.Fatalf("ledger: done %v, rows %d, %v", done, recorded, err)
	}

	// The backfill keeps a locale already set and is a no-op when rerun.
	// Row-level security is on now (a later migration): the rerun, as the
	// app's role, reaches users of every tenant only through the tenant
	// walk; u1 and u2 are in different tenants (1 and 2).
	if _, err := raw.Exec(`UPDATE users SET profile = '{"locale": "fr-FR"}' WHERE email = 'u1@old.example'`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE users SET profile = '{}' WHERE email IN ('u2@old.example', 'u4@old.example')`); err != nil {
		t.Fatal(err)
	}
	in := instances[0]
	tx, _ := gosteps.StepTx(in.db)
	fn := gosteps.BackfillProfileLocale("de-DE", 10_000)
	var (
		cursor  string
		changed int64
		calls   int
	)
	for done := false; !done; calls++ {
		if calls > len(per) {
			t.Fatalf("the rerun did not finish after %d batches (cursor %q)", calls, cursor)
		}
		if err := tx(context.Background(), func(ctx context.Context, _ migrate.Querier) error {
			next, n, d, err := fn(ctx, gosteps.Deps{Services: in.svc, DB: in.db}, cursor)
			cursor, done, changed = next, d, changed+n
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if changed != 2 || calls != len(per) {
		t.Fatalf("rerun changed %d users in %d batches, want 2 in %d (one batch per tenant)", changed, calls, len(per))
	}
	got := map[string]string{}
	rows, err := raw.Query(`SELECT email, profile->>'locale' FROM users WHERE email IN ('u1@old.example', 'u2@old.example', 'u3@old.example', 'u4@old.example')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var e, l string
		if err := rows.Scan(&e, &l); err != nil {
			t.Fatal(err)
		}
		got[e] = l
	}
	if got["u1@old.example"] != "fr-FR" || got["u2@old.example"] != "de-DE" || got["u3@old.example"] != "en" || got["u4@old.example"] != "de-DE" {
		t.Fatalf("locales after a rerun: %v", got)
	}
}

// TestFailingStepWithServicesRollsBack: a step writes through the app's
// services (which join its transaction) and then fails: the tenant it
// created is rolled back with it and nothing is recorded; the next boot
// runs the fixed step.
func TestFailingStepWithServicesRollsBack(t *testing.T) {
	tdb, raw, _ := previousVersionWithUsers(t, 10, 1)
	in := newInstance(t, tdb)
	step := func(fail bool) []gosteps.Step {
		return []gosteps.Step{{Version: profileVersion, Name: "create_tenant", Run: func(ctx context.Context, d gosteps.Deps) error {
			if _, err := d.Services.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "from-step", DisplayName: "From a step"}); err != nil {
				return err
			}
			if fail {
				return errors.New("step failed after writing")
			}
			return nil
		}}}
	}
	count := func(q string) int {
		var n int
		if err := raw.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	_, err := in.up(t, step(true))
	var ge *migrate.GoStepError
	if !errors.As(err, &ge) {
		t.Fatalf("err = %v, want a *GoStepError", err)
	}
	if n := count(`SELECT count(*) FROM tenants WHERE slug = 'from-step'`); n != 0 {
		t.Fatal("the failed step's tenant was committed")
	}
	if n := count(`SELECT count(*) FROM audit_events WHERE action = 'tenant.create'`); n != 0 {
		t.Fatal("the failed step's audit event was committed")
	}
	if n := count(`SELECT count(*) FROM atlas_schema_revisions.central_go_steps`); n != 0 {
		t.Fatal("the failed step was recorded")
	}
	if n := count(`SELECT count(*) FROM atlas_schema_revisions.atlas_schema_revisions WHERE version = '` + profileVersion + `'`); n != 1 {
		t.Fatal("the step's SQL should stay applied")
	}
	res, err := in.up(t, step(false))
	if err != nil || len(res.GoSteps) != 1 {
		t.Fatalf("retry: %+v, %v", res, err)
	}
	if n := count(`SELECT count(*) FROM tenants WHERE slug = 'from-step'`); n != 1 {
		t.Fatalf("%d tenants from the retried step", n)
	}
}

// TestBackfillResumesAcrossTenantsUnderRowSecurity: on a database at the
// latest version (users under row-level security, which hides every user
// from the app's role without a tenant), the step walks all three tenants;
// a batch failing mid-walk rolls back alone, the ledger keeps the cursor
// of the last committed batch (tenant and position), and the next boot
// resumes there and changes every user exactly once.
func TestBackfillResumesAcrossTenantsUnderRowSecurity(t *testing.T) {
	const perTenant, batch = 7, 3
	tdb := dbtest.New(t)
	admin := tdb.OpenAdminDB(t)
	tenants := []string{"01936f3e-0000-7000-8000-00000000000a", "01936f3e-0000-7000-8000-00000000000b", "01936f3e-0000-7000-8000-00000000000c"}
	for i, id := range tenants {
		if _, err := admin.Exec(`INSERT INTO tenants (id, slug, display_name) VALUES ($1, $2, $2)`, id, fmt.Sprintf("tenant-%d", i)); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.Exec(`INSERT INTO users (id, tenant_id, email, profile)
			SELECT gen_random_uuid(), $1, 'u' || g || '@t' || $2::int || '.example', '{}' FROM generate_series(1, $3) g`, id, i, perTenant); err != nil {
			t.Fatal(err)
		}
	}
	var visible int
	if err := tdb.OpenDB(t).QueryRow(`SELECT count(*) FROM users`).Scan(&visible); err != nil || visible != 0 {
		t.Fatalf("the app's role sees %d users without a tenant (%v): row-level security is not on, the test would prove nothing", visible, err)
	}
	in := newInstance(t, tdb)
	var calls atomic.Int64
	step := func(failAt int64) []gosteps.Step {
		fn := gosteps.BackfillProfileLocale(gosteps.DefaultLocale, batch)
		return []gosteps.Step{{Version: profileVersion, Name: "backfill_profile_locale",
			Batch: func(ctx context.Context, d gosteps.Deps, cursor string) (string, int64, bool, error) {
				if calls.Add(1) == failAt {
					if _, _, _, err := fn(ctx, d, cursor); err != nil {
						return "", 0, false, err
					}
					return "", 0, false, errors.New("crash after the batch's writes")
				}
				return fn(ctx, d, cursor)
			}}}
	}
	ledger := func() (cursor string, batches, rows int64, done bool) {
		t.Helper()
		if err := admin.QueryRow(`SELECT cursor, batches, rows, done FROM atlas_schema_revisions.central_go_steps WHERE version = $1`, profileVersion).
			Scan(&cursor, &batches, &rows, &done); err != nil {
			t.Fatal(err)
		}
		return
	}
	withLocale := func() int {
		t.Helper()
		var n int
		if err := admin.QueryRow(`SELECT count(*) FROM users WHERE profile->>'locale' = 'en'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Tenant a takes 3 batches (3, 3, 1 users), so the 5th batch is the
	// second of tenant b: it fails after writing, and rolls back.
	_, err := in.up(t, step(5))
	var ge *migrate.GoStepError
	if !errors.As(err, &ge) {
		t.Fatalf("err = %v, want a *GoStepError", err)
	}
	cursor, batches, rows, done := ledger()
	if done || batches != 4 || rows != perTenant+batch || !strings.HasPrefix(cursor, tenants[1]+"/") || ge.Cursor != cursor {
		t.Fatalf("after the failure: ledger cursor %q, %d batches, %d rows, done %v; error cursor %q", cursor, batches, rows, done, ge.Cursor)
	}
	if n := withLocale(); n != perTenant+batch {
		t.Fatalf("%d users have the locale after the failure, want %d (the failed batch rolled back)", n, perTenant+batch)
	}

	res, err := in.up(t, step(0))
	if err != nil || len(res.GoSteps) != 1 || !res.GoSteps[0].Resumed {
		t.Fatalf("resume: %+v, %v", res, err)
	}
	_, batches, rows, done = ledger()
	if !done || batches != 9 || rows != 3*perTenant {
		t.Fatalf("after the resume: %d batches, %d rows, done %v; want 9 batches, %d rows (each user once)", batches, rows, done, 3*perTenant)
	}
	if n := withLocale(); n != 3*perTenant {
		t.Fatalf("%d of %d users have the locale", n, 3*perTenant)
	}
}
