package db

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/central/central/internal/replica"
)

var (
	replicaHealthyDesc = prometheus.NewDesc("central_db_replica_healthy",
		"1 when the replica gets reads, 0 when it is unreachable or lagging.", []string{"replica"}, nil)
	replicaLagDesc = prometheus.NewDesc("central_db_replica_lag_seconds",
		"How long the replica has been missing WAL the primary had, at the last poll.", []string{"replica"}, nil)
	replicaLagBytesDesc = prometheus.NewDesc("central_db_replica_lag_bytes",
		"WAL bytes the replica trailed the primary by, at the last poll.", []string{"replica"}, nil)
)

// replicaCollector exports the router's latest replica status (no I/O).
type replicaCollector struct{ router *replica.Router }

func (c *replicaCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- replicaHealthyDesc
	ch <- replicaLagDesc
	ch <- replicaLagBytesDesc
}

func (c *replicaCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.router.Status() {
		healthy := 0.0
		if s.Healthy {
			healthy = 1
		}
		ch <- prometheus.MustNewConstMetric(replicaHealthyDesc, prometheus.GaugeValue, healthy, s.Name)
		ch <- prometheus.MustNewConstMetric(replicaLagDesc, prometheus.GaugeValue, s.Lag.Seconds(), s.Name)
		ch <- prometheus.MustNewConstMetric(replicaLagBytesDesc, prometheus.GaugeValue, float64(s.LagBytes), s.Name)
	}
}

// poolStatsCollector exports a pgxpool's statistics under the names
// Prometheus' database/sql collector (collectors.NewDBStatsCollector) uses,
// so dashboards built on them keep working: open = total connections,
// in use = acquired, wait = acquisitions that found the pool empty.
type poolStatsCollector struct {
	pool *pgxpool.Pool

	maxOpen, open, inUse, idle              *prometheus.Desc
	waitCount, waitDuration                 *prometheus.Desc
	maxIdleTimeClosed, lifetimeClosed       *prometheus.Desc
	acquireCount, acquireDuration, newConns *prometheus.Desc
}

func newPoolStatsCollector(pool *pgxpool.Pool, name string) *poolStatsCollector {
	l := prometheus.Labels{"db_name": name}
	d := func(n, help string) *prometheus.Desc { return prometheus.NewDesc(n, help, nil, l) }
	return &poolStatsCollector{
		pool:              pool,
		maxOpen:           d("go_sql_max_open_connections", "Maximum number of open connections to the database."),
		open:              d("go_sql_open_connections", "The number of established connections both in use and idle."),
		inUse:             d("go_sql_in_use_connections", "The number of connections currently in use."),
		idle:              d("go_sql_idle_connections", "The number of idle connections."),
		waitCount:         d("go_sql_wait_count_total", "The total number of connections waited for."),
		waitDuration:      d("go_sql_wait_duration_seconds_total", "The total time blocked waiting for a new connection."),
		maxIdleTimeClosed: d("go_sql_max_idle_time_closed_total", "The total number of connections closed due to the maximum idle time."),
		lifetimeClosed:    d("go_sql_max_lifetime_closed_total", "The total number of connections closed due to the maximum connection lifetime."),
		acquireCount:      d("central_db_pool_acquire_total", "Connections acquired from the pool (pgxpool)."),
		acquireDuration:   d("central_db_pool_acquire_duration_seconds_total", "Total time spent acquiring connections from the pool (pgxpool)."),
		newConns:          d("central_db_pool_new_connections_total", "Connections the pool opened (pgxpool)."),
	}
}

func (c *poolStatsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.maxOpen, c.open, c.inUse, c.idle, c.waitCount, c.waitDuration,
		c.maxIdleTimeClosed, c.lifetimeClosed, c.acquireCount, c.acquireDuration, c.newConns} {
		ch <- d
	}
}

func (c *poolStatsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	g := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	n := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	g(c.maxOpen, float64(s.MaxConns()))
	g(c.open, float64(s.TotalConns()))
	g(c.inUse, float64(s.AcquiredConns()))
	g(c.idle, float64(s.IdleConns()))
	n(c.waitCount, float64(s.EmptyAcquireCount()))
	n(c.waitDuration, s.EmptyAcquireWaitTime().Seconds())
	n(c.maxIdleTimeClosed, float64(s.MaxIdleDestroyCount()))
	n(c.lifetimeClosed, float64(s.MaxLifetimeDestroyCount()))
	n(c.acquireCount, float64(s.AcquireCount()))
	n(c.acquireDuration, s.AcquireDuration().Seconds())
	n(c.newConns, float64(s.NewConnsCount()))
}
