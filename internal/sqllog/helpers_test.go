package sqllog_test

import (
	"database/sql"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/central/central/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// openDB returns a pool on a fresh test database.
func openDB(t testing.TB) *sql.DB {
	t.Helper()
	return dbtest.New(t).OpenDB(t)
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
