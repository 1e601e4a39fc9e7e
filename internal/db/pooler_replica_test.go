package db_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/central/central/ent/tenant"
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
	ctx := ctxT(t)
	waitHealthy(t, d)

	mark := l.Len()
	if _, err := d.Reader(ctx).Tenant.Query().Count(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rolesOf(l, mark); fmt.Sprint(got) != "[replica]" {
		t.Fatalf("plain read went to %v, want [replica]", got)
	}
	reqCtx := replica.NewSession(ctx)
	if _, err := d.Writer(reqCtx).Tenant.Create().SetSlug("pooled").SetDisplayName("Pooled").Save(reqCtx); err != nil {
		t.Fatal(err)
	}
	mark = l.Len()
	n, err := d.Reader(reqCtx).Tenant.Query().Where(tenant.Slug("pooled")).Count(reqCtx)
	if err != nil || n != 1 {
		t.Fatalf("read after write: n=%d err=%v", n, err)
	}
	if got := rolesOf(l, mark); fmt.Sprint(got) != "[readonly]" {
		t.Fatalf("read after write went to %v, want [readonly] (the primary, through PgBouncer)", got)
	}
	tok, err := d.Token(reqCtx)
	if err != nil || tok.IsZero() {
		t.Fatalf("token %v, err %v", tok, err)
	}
	if err := pair.WaitReplay(ctx, tok.String()); err != nil {
		t.Fatal(err)
	}
	next := replica.WithToken(ctx, tok)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mark = l.Len()
		n, err = d.Reader(next).Tenant.Query().Where(tenant.Slug("pooled")).Count(next)
		if err != nil || n != 1 {
			t.Fatalf("read with token: n=%d err=%v", n, err)
		}
		if fmt.Sprint(rolesOf(l, mark)) == "[replica]" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reads with a replayed token never returned to the replica: %v", d.Router().Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
