package sqllog_test

import (
	"database/sql"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/central/central/ent"
	"github.com/central/central/internal/sqllog"
)

func ExampleWrap() {
	var pool *sql.DB // a pgx stdlib pool
	logger := zap.NewExample()
	registry := prometheus.NewRegistry()

	hist := sqllog.NewHistogram()
	registry.MustRegister(hist)
	drv := sqllog.Wrap(entsql.OpenDB(dialect.Postgres, pool), logger, sqllog.Options{
		Role:          sqllog.RolePrimary,
		SlowThreshold: 200 * time.Millisecond,
		Histogram:     hist,
	})
	client := ent.NewClient(ent.Driver(drv))
	_ = client
}
