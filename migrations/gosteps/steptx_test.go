package gosteps_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/migrate"
	"github.com/central/central/migrations"
	"github.com/central/central/migrations/gosteps"
)

// TestStepTxOneConnectionPool: a one-connection read-write pool is refused
// only when the migration lock shares it (no pooler: the lock's session
// would leave the step's transaction nothing to run on). Behind a
// transaction pooler the lock is on the direct pool, so the same pool runs
// a Go step to the end. Deliberate bugs: the old check, which ignored the
// direct pool (the pooled case is refused); no check at all (the first
// case is accepted and Up would wait on itself until MIGRATE_TIMEOUT).
func TestStepTxOneConnectionPool(t *testing.T) {
	t.Parallel()
	p := dbtest.NewPooled(t)
	open := func(cfg config.Postgres) *db.DB {
		t.Helper()
		d, err := db.Open(context.Background(), cfg, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = d.Stop(context.Background()) })
		return d
	}

	direct := open(config.Postgres{
		ReadWrite: config.Conn{URL: config.Secret(p.URL), PoolSize: 1},
		ReadOnly:  config.Conn{URL: config.Secret(p.ReadOnlyURL), PoolSize: 1},
	})
	if _, err := gosteps.StepTx(direct); err == nil || !strings.Contains(err.Error(), "allows 1 connection") {
		t.Errorf("without a direct pool, a 1-connection read-write pool: err = %v, want the refusal", err)
	}

	pooled := open(config.Postgres{
		Pooler:    config.PoolerTransaction,
		ReadWrite: config.Conn{URL: config.Secret(p.PooledURL), PoolSize: 1},
		ReadOnly:  config.Conn{URL: config.Secret(p.PooledReadOnlyURL), PoolSize: 1},
		Direct:    config.Conn{URL: config.Secret(p.URL), PoolSize: config.DefaultDirectPoolSize},
	})
	tx, err := gosteps.StepTx(pooled)
	if err != nil {
		t.Fatalf("behind a pooler with a direct pool: %v", err)
	}
	ran := false
	steps := gosteps.Bind([]gosteps.Step{{Version: profileVersion, Name: "one_connection", Run: func(ctx context.Context, d gosteps.Deps) error {
		ran = true
		_, err := d.DB.Writer(ctx).Tenant.Query().Count(ctx)
		return err
	}}}, gosteps.Deps{DB: pooled, Log: zap.NewNop()})
	m, err := migrate.New(pooled.Pools().DirectDB(), migrations.FS, migrate.WithGoSteps(tx, steps))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if res, err := m.Up(ctx); err != nil || len(res.GoSteps) != 1 || !ran {
		t.Fatalf("Up: %+v, %v (step ran: %t)", res, err, ran)
	}
}
