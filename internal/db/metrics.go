package db

import (
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
