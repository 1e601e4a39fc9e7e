package replica_test

import (
	"context"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"go.uber.org/zap"

	"github.com/central/central/internal/replica"
)

// BenchmarkRouterOverhead compares a point read straight through the
// read-only primary driver with the same read through a Router, on the
// primary (no replica) and on a healthy replica, with and without a session.
func BenchmarkRouterOverhead(b *testing.B) {
	p := newTestPair(b, false)
	ro := openDB(b, p.ROURL)
	rdb := openDB(b, p.ReplicaURL)
	ctx := context.Background()
	direct := entsql.OpenDB(dialect.Postgres, ro)
	primaryOnly, err := replica.NewRouter(direct, nil, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	withReplica, err := replica.NewRouter(direct,
		[]replica.Target{{Name: "r1", Driver: entsql.OpenDB(dialect.Postgres, rdb), DB: rdb}}, zap.NewNop(),
		replica.WithPrimaryQuerier(ro))
	if err != nil {
		b.Fatal(err)
	}
	if err := withReplica.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = withReplica.Stop(context.Background()) })
	sessionCtx := replica.NewSession(ctx)
	cases := []struct {
		name string
		drv  dialect.Driver
		ctx  context.Context
	}{
		{"direct", direct, ctx},
		{"router_primary", primaryOnly, ctx},
		{"router_replica", withReplica, ctx},
		{"router_replica_session", withReplica, sessionCtx},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				if err := queryRow(c.ctx, c.drv, "SELECT 1", &n); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
