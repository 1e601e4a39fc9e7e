package db_test

import (
	"testing"
	"time"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/replica"
)

// TestPoolerReplicaReadYourWrites: with both primary sides behind PgBouncer
// in transaction mode and a streaming replica, replica routing and
// read-your-writes tokens work as they do direct: the token is taken on the
// pooled read-write side (pg_current_wal_insert_lsn needs no session).
func TestPoolerReplicaReadYourWrites(t *testing.T) {
	pair := dbtest.NewPair(t)
	b := dbtest.NewBouncer(t, pair.Primary, 0)
	pooledRW, err := b.URL(pair.URL)
	if err != nil {
		t.Fatal(err)
	}
	pooledRO, err := b.URL(pair.ReadOnlyURL)
	if err != nil {
		t.Fatal(err)
	}
	pg := pgConfig(pair.DB, pair.ReplicaReadOnlyURL)
	pg.ReadWrite.URL, pg.ReadOnly.URL = config.Secret(pooledRW), config.Secret(pooledRO)
	pg.Pooler = config.PoolerTransaction
	pg.Direct = config.Conn{URL: config.Secret(pair.URL), PoolSize: 2, AppName: config.DefaultDirectAppName}
	d, l := openOn(t, pg, db.WithReplicaOptions(replica.WithPollInterval(20*time.Millisecond)))
	checkReadYourWrites(t, d, l, pair, "pooled")
}
