package sqllog_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// openDB returns a pool on a fresh scratch database.
// TODO(dbtest): replace with dbtest.New(t).OpenDB(t) once it lands.
func openDB(t testing.TB) *sql.DB {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:5432/postgres")
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("sqllog_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig("postgres://postgres@127.0.0.1:5432/" + name)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() {
		db.Close()
		admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
		admin.Close(ctx)
	})
	return db
}

func histogramCount(t *testing.T, h *prometheus.HistogramVec, role string) uint64 {
	t.Helper()
	obs, err := h.GetMetricWithLabelValues(role)
	if err != nil {
		t.Fatal(err)
	}
	var m dto.Metric
	if err := obs.(prometheus.Metric).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}

func prometheusVec(labels ...string) *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "x"}, labels)
}
