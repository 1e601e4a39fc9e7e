package production_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/central/central/internal/boot"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/seed"
	"github.com/central/central/internal/seed/production"
	"github.com/central/central/internal/seedengine"
	"github.com/central/central/internal/sensitive/keyring"
	"github.com/central/central/internal/service"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestEveryFileCarriesThePrefix checks the real production package: the
// embedded set loads (Load refuses a file without the prefix), and every
// seed file on disk, embedded or not, starts with PROD.
func TestEveryFileCarriesThePrefix(t *testing.T) {
	seeds, err := production.Seeds().Load()
	if err != nil {
		t.Fatalf("production seed set: %v", err)
	}
	if len(seeds) == 0 {
		t.Fatal("production seed set is empty")
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	onDisk := 0
	for _, e := range entries {
		if e.IsDir() || !seedengine.IsSeedFile(e.Name()) {
			continue
		}
		onDisk++
		if !strings.HasPrefix(e.Name(), seedengine.ProductionPrefix) {
			t.Errorf("%s: production seed files must start with %q", e.Name(), seedengine.ProductionPrefix)
		}
	}
	if onDisk != len(seeds) {
		t.Errorf("%d seed files on disk, %d in the set", onDisk, len(seeds))
	}
}

func bootApp(t *testing.T, tdb *dbtest.DB, populate ...any) {
	t.Helper()
	cfg := config.Config{
		Env: config.Production,
		Postgres: config.Postgres{
			ReadWrite: config.Conn{URL: config.Secret(tdb.URL), PoolSize: 4},
			ReadOnly:  config.Conn{URL: config.Secret(tdb.ReadOnlyURL), PoolSize: 4},
		},
		Seed: config.Seed{Timeout: time.Minute, OnChanged: config.SeedChangedError},
	}
	kr, err := keyring.NewLocal("local", 1, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kr.Close() })
	a := fxtest.New(t,
		fx.Supply(cfg, kr, boot.Migrated{}), // dbtest migrated the database
		fx.Provide(func() *zap.Logger { return zaptest.NewLogger(t) }, prometheus.NewRegistry),
		db.Module, service.Module, production.Module, seed.Module,
		fx.Populate(populate...),
	)
	a.RequireStart()
	t.Cleanup(a.RequireStop)
}

func TestBaseData(t *testing.T) {
	ctx := context.Background()
	want, err := entityid.ParseTenantID(production.OperatorTenantID)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("fresh database", func(t *testing.T) {
		var svc *service.Services
		bootApp(t, dbtest.New(t), &svc)
		got, err := svc.Tenants.GetBySlug(ctx, production.OperatorTenantSlug)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != want || got.DisplayName != "Central Operations" {
			t.Errorf("operator tenant = %+v", got)
		}
	})

	t.Run("tenant created by hand before the seed", func(t *testing.T) {
		tdb := dbtest.New(t)
		raw := tdb.OpenDB(t)
		if _, err := raw.ExecContext(ctx, `INSERT INTO tenants (id, slug, display_name, status, created_at, updated_at)
			VALUES (gen_random_uuid(), 'central', 'Hand Made', 'active', now(), now())`); err != nil {
			t.Fatal(err)
		}
		var svc *service.Services
		var r *seed.AppRunner
		bootApp(t, tdb, &svc, &r)
		got, err := svc.Tenants.GetBySlug(ctx, production.OperatorTenantSlug)
		if err != nil {
			t.Fatal(err)
		}
		if got.DisplayName != "Hand Made" || got.ID == want {
			t.Errorf("operator tenant = %+v, want the hand-made one kept", got)
		}
		st, err := r.Status(ctx)
		if err != nil || len(st) != 1 || !st[0].HashOK {
			t.Errorf("status = %+v, %v: want the seed recorded", st, err)
		}
	})
}
