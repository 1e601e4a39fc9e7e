package db

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/central/central/ent"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/replica"
)

// Module provides *Pools, *ReadWritePool, *ReadOnlyPool, *DB, *ent.Client,
// *ent.ReadOnlyClient and *replica.Router. It needs config.Config (with the
// embedded server's URLs filled in when Postgres.Embedded), *zap.Logger and
// *prometheus.Registry; a PendingChecker is used when provided.
//
// OnStart pings both primary pools, then starts the replica watcher. OnStop
// (reverse order) marks the DB not ready and stops the watcher, then lets
// in-flight queries finish and closes the pools.
var Module = fx.Module("db",
	fx.Provide(providePools, provideDB),
)

type poolsIn struct {
	fx.In
	LC      fx.Lifecycle
	Config  config.Config
	Tracing trace.TracerProvider `optional:"true"` // statement spans (WithPoolTracing)
}

type poolsOut struct {
	fx.Out
	Pools     *Pools
	ReadWrite *ReadWritePool
	ReadOnly  *ReadOnlyPool
}

func providePools(in poolsIn) (poolsOut, error) {
	var opts []PoolsOption
	if in.Tracing != nil {
		opts = append(opts, WithPoolTracing(in.Tracing))
	}
	p, err := NewPools(in.Config.Postgres, opts...)
	if err != nil {
		return poolsOut{}, err
	}
	in.LC.Append(fx.Hook{OnStart: p.Ping, OnStop: p.Stop})
	return poolsOut{Pools: p, ReadWrite: p.ReadWrite, ReadOnly: p.ReadOnly}, nil
}

type dbIn struct {
	fx.In
	LC       fx.Lifecycle
	Config   config.Config
	Pools    *Pools
	Logger   *zap.Logger
	Registry *prometheus.Registry
	Pending  PendingChecker `optional:"true"`
}

type dbOut struct {
	fx.Out
	DB       *DB
	Client   *ent.Client
	ReadOnly *ent.ReadOnlyClient
	Router   *replica.Router
}

func provideDB(in dbIn) (dbOut, error) {
	if in.Registry == nil {
		return dbOut{}, fmt.Errorf("db: fx: *prometheus.Registry is nil: provide prometheus.NewRegistry()")
	}
	opts := []Option{WithSlowQueryThreshold(in.Config.Postgres.SlowQueryThreshold), WithRegistry(in.Registry)}
	if in.Pending != nil {
		opts = append(opts, WithPendingChecker(in.Pending))
	}
	d, err := New(in.Pools, in.Logger, in.Config.Postgres.ReplicaMaxLag, opts...)
	if err != nil {
		return dbOut{}, err
	}
	in.LC.Append(fx.Hook{OnStart: d.startClients, OnStop: d.stopClients})
	return dbOut{DB: d, Client: d.rw, ReadOnly: d.ro, Router: d.router}, nil
}
