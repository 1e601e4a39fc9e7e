package development_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/central/central/internal/boot"
	"github.com/central/central/internal/buildinfo"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/seed"
	"github.com/central/central/internal/seed/development"
	"github.com/central/central/internal/seed/production"
	"github.com/central/central/internal/sensitive/keyring"
	"github.com/central/central/internal/service"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestSetLoads(t *testing.T) {
	seeds, err := development.Seeds().Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(seeds) == 0 || seeds[0].Name != "0001_technova" {
		t.Fatalf("seeds = %+v, want 0001_technova first", seeds)
	}
}

// app boots the seed module the way the app does: config, db, services,
// both seed sets.
func app(t *testing.T, tdb *dbtest.DB, skip bool, populate ...any) *fxtest.App {
	return appWith(t, tdb, skip, fx.Options(), populate...)
}

func appWith(t *testing.T, tdb *dbtest.DB, skip bool, extra fx.Option, populate ...any) *fxtest.App {
	t.Helper()
	cfg := config.Config{
		Env: config.Development,
		Postgres: config.Postgres{
			ReadWrite: config.Conn{URL: config.Secret(tdb.URL), PoolSize: 4},
			ReadOnly:  config.Conn{URL: config.Secret(tdb.ReadOnlyURL), PoolSize: 4},
		},
		Seed: config.Seed{Skip: skip, Timeout: time.Minute, OnChanged: config.SeedChangedError},
	}
	kr, err := keyring.NewLocal("local", 1, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kr.Close() })
	return fxtest.New(t,
		fx.Supply(cfg, kr, buildinfo.Version("test-1"), boot.Migrated{}), // dbtest migrated the database
		fx.Provide(func() *zap.Logger { return zaptest.NewLogger(t) }, prometheus.NewRegistry),
		db.Module, service.Module, development.Module, production.Module, seed.Module,
		extra,
		fx.Populate(populate...),
	)
}

func TestDevelopmentSeedsAtBoot(t *testing.T) {
	ctx := context.Background()
	tdb := dbtest.New(t)

	var svc *service.Services
	var r *seed.AppRunner
	a := app(t, tdb, false, &svc, &r)
	a.RequireStart()

	tid, err := entityid.ParseTenantID(development.TechNovaTenantID)
	if err != nil {
		t.Fatal(err)
	}
	tenant, err := svc.Tenants.GetBySlug(ctx, "technova")
	if err != nil {
		t.Fatalf("technova tenant after boot: %v", err)
	}
	if tenant.ID != tid || tenant.DisplayName != "TechNova Global" {
		t.Errorf("tenant = %+v, want %s \"TechNova Global\"", tenant, tid)
	}
	page, err := svc.Users.List(ctx, tid, entityid.UserID{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 3 {
		t.Fatalf("users = %+v, want 3", page.Items)
	}
	ada, err := svc.Users.GetByEmail(ctx, tid, "ada@technova.example")
	if err != nil {
		t.Fatal(err)
	}
	tags, err := svc.Users.ListTags(ctx, tid, ada.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) != 2 || tags[0].Key != "role" || tags[0].Value != "admin" {
		t.Errorf("ada's tags = %+v", tags)
	}
	st, err := r.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range st {
		if !row.HashOK || row.Pending || row.Environment != config.Development {
			t.Errorf("status row = %+v, want applied with its hash", row)
		}
	}
	a.RequireStop()

	// A second boot finds everything applied.
	var r2 *seed.AppRunner
	b := app(t, tdb, false, &r2)
	b.RequireStart()
	rep, err := r2.DryRun(ctx)
	if err != nil || len(rep.Pending) != 0 {
		t.Fatalf("second boot dry run: %+v, %v", rep, err)
	}
	b.RequireStop()
}

func TestSkipSeeds(t *testing.T) {
	ctx := context.Background()
	tdb := dbtest.New(t)
	var r *seed.AppRunner
	a := app(t, tdb, true, &r)
	a.RequireStart()
	defer a.RequireStop()
	rep, err := r.DryRun(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rep.Pending, ",") != "0001_technova" {
		t.Errorf("pending after a boot with SKIP_SEEDS = %v, want every seed", rep.Pending)
	}
}

func TestProgressWriterAtBoot(t *testing.T) {
	var out bytes.Buffer
	a := appWith(t, dbtest.New(t), false, fx.Supply(&seed.ProgressWriter{Writer: &out}))
	a.RequireStart()
	a.RequireStop()
	for _, want := range []string{"seed 0001_technova: start\n", "seed 0001_technova: 3/3 users (100%)", "seed 0001_technova: done in "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, out.String())
		}
	}
}
