package gosteps_test

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"

	atlas "ariga.io/atlas/sql/migrate"
	"go.uber.org/zap"
	"gocloud.dev/secrets/localsecrets"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/migrate"
	"github.com/central/central/internal/sensitive"
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
	var key [32]byte
	ref := sensitive.KeyRef{ID: "local", Version: 1}
	kr, err := sensitive.NewKeyring(ref, map[sensitive.KeyRef]sensitive.Keeper{ref: localsecrets.NewKeeper(key)})
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
// the profile column, holding users.
func previousVersionWithUsers(t testing.TB, users int) (*dbtest.DB, *sql.DB) {
	t.Helper()
	tdb := dbtest.New(t, dbtest.Empty())
	raw := tdb.OpenDB(t)
	if _, err := migrate.Up(context.Background(), raw, before(t, profileVersion)); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO tenants (id, slug, display_name) VALUES ('01936f3e-0000-7000-8000-000000000001', 'old', 'Old')`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO users (id, tenant_id, email)
		SELECT gen_random_uuid(), '01936f3e-0000-7000-8000-000000000001', 'u' || g || '@old.example' FROM generate_series(1, $1) g`, users); err != nil {
		t.Fatal(err)
	}
	return tdb, raw
}

// TestBackfillProfileLocaleOnConcurrentBoots: eight replicas boot at once
// on a database at the previous version with 2,500 users; the profile
// migration applies, then its Go step backfills every user's locale, once
// (batches are counted across all replicas), recorded in the ledger.
func TestBackfillProfileLocaleOnConcurrentBoots(t *testing.T) {
	const users, batch = 2500, 100
	tdb, raw := previousVersionWithUsers(t, users)
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
	wantBatches := int64(users/batch + 1) // the last, empty batch says done
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
	if _, err := raw.Exec(`UPDATE users SET profile = '{"locale": "fr-FR"}' WHERE email = 'u1@old.example'`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE users SET profile = '{}' WHERE email = 'u2@old.example'`); err != nil {
		t.Fatal(err)
	}
	in := instances[0]
	tx, _ := gosteps.StepTx(in.db)
	fn := gosteps.BackfillProfileLocale("de-DE", 10_000)
	if err := tx(context.Background(), func(ctx context.Context, _ migrate.Querier) error {
		_, n, done, err := fn(ctx, gosteps.Deps{Services: in.svc, DB: in.db}, "")
		if err == nil && (n != 1 || !done) {
			err = errors.New("unexpected batch result")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	rows, err := raw.Query(`SELECT email, profile->>'locale' FROM users WHERE email IN ('u1@old.example', 'u2@old.example', 'u3@old.example')`)
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
	if got["u1@old.example"] != "fr-FR" || got["u2@old.example"] != "de-DE" || got["u3@old.example"] != "en" {
		t.Fatalf("locales after a rerun: %v", got)
	}
}

// TestFailingStepWithServicesRollsBack: a step writes through the app's
// services (which join its transaction) and then fails: the tenant it
// created is rolled back with it and nothing is recorded; the next boot
// runs the fixed step.
func TestFailingStepWithServicesRollsBack(t *testing.T) {
	tdb, raw := previousVersionWithUsers(t, 10)
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
