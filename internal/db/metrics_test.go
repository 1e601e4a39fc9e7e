package db_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/central/central/internal/db"
)

// poolMetric returns the value of metric name with label db_name=pool.
func poolMetric(t *testing.T, reg *prometheus.Registry, name, pool string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "db_name" && l.GetValue() == pool {
					if g := m.GetGauge(); g != nil {
						return g.GetValue()
					}
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("metric %s{db_name=%s} not found", name, pool)
	return 0
}

// TestPoolMetricsFollowThePgxPool: the go_sql_* pool metrics come from the
// pgxpool the clients use; a transaction holds one read-write connection.
func TestPoolMetricsFollowThePgxPool(t *testing.T) {
	reg := prometheus.NewRegistry()
	d, _, _ := open(t, db.WithRegistry(reg))
	ctx := ctxT(t)
	if got := poolMetric(t, reg, "go_sql_max_open_connections", db.PoolReadWrite); got != 4 {
		t.Errorf("max open = %v, want the configured 4", got)
	}
	err := d.WithTx(ctx, func(ctx context.Context) error {
		if _, err := d.Writer(ctx).ExecContext(ctx, "SELECT 1"); err != nil {
			return err
		}
		if got := poolMetric(t, reg, "go_sql_in_use_connections", db.PoolReadWrite); got != 1 {
			t.Errorf("in use inside a transaction = %v, want 1", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := poolMetric(t, reg, "go_sql_in_use_connections", db.PoolReadWrite); got != 0 {
		t.Errorf("in use after the transaction = %v, want 0", got)
	}
	if got := poolMetric(t, reg, "go_sql_open_connections", db.PoolReadWrite); got < 1 {
		t.Errorf("open = %v, want the transaction's connection kept idle", got)
	}
	if got := poolMetric(t, reg, "central_db_pool_acquire_total", db.PoolReadWrite); got < 1 {
		t.Errorf("acquires = %v, want ≥ 1", got)
	}
}
