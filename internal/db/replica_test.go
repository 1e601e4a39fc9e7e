package db_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/central/central/ent/tenant"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/replica"
)

// rolesOf returns the role of every logged statement since mark.
func rolesOf(l logs, mark int) []string {
	var out []string
	for _, e := range l.All()[mark:] {
		if e.LoggerName == "db.sql" && e.ContextMap()["op"] == "query" {
			out = append(out, fmt.Sprint(e.ContextMap()["role"]))
		}
	}
	return out
}

// checkReadYourWrites walks a session through routing on d: a plain read
// goes to the replica; a read right after the session's write goes to the
// primary (read-only role) and sees it; once the replica has replayed the
// session's token, reads carrying it go back to the replica. It returns the
// session's context.
func checkReadYourWrites(t *testing.T, d *db.DB, l logs, pair *dbtest.Pair, slug string) context.Context {
	t.Helper()
	ctx := ctxT(t)
	waitHealthy(t, d)
	mark := l.Len()
	if _, err := d.Reader(ctx).Tenant.Query().Count(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rolesOf(l, mark); fmt.Sprint(got) != "[replica]" {
		t.Fatalf("plain read went to %v, want [replica]", got)
	}

	// A request: write, then read in the same session.
	reqCtx := replica.NewSession(ctx)
	if _, err := d.Writer(reqCtx).Tenant.Create().SetSlug(slug).SetDisplayName(slug).Save(reqCtx); err != nil {
		t.Fatal(err)
	}
	mark = l.Len()
	n, err := d.Reader(reqCtx).Tenant.Query().Where(tenant.Slug(slug)).Count(reqCtx)
	if err != nil || n != 1 {
		t.Fatalf("read after write: n=%d err=%v, want 1", n, err)
	}
	if got := rolesOf(l, mark); fmt.Sprint(got) != "[readonly]" {
		t.Fatalf("read after write went to %v, want [readonly] (the primary)", got)
	}

	// The token goes to the client and comes back with the next request.
	tok, err := d.Token(reqCtx)
	if err != nil || tok.IsZero() {
		t.Fatalf("token %v, err %v", tok, err)
	}
	if err := pair.WaitReplay(ctx, tok.String()); err != nil {
		t.Fatal(err)
	}
	parsed, err := replica.ParseToken(tok.String())
	if err != nil {
		t.Fatal(err)
	}
	next := replica.WithToken(ctx, parsed)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mark = l.Len()
		n, err = d.Reader(next).Tenant.Query().Where(tenant.Slug(slug)).Count(next)
		if err != nil || n != 1 {
			t.Fatalf("read with token: n=%d err=%v, want 1", n, err)
		}
		if fmt.Sprint(rolesOf(l, mark)) == "[replica]" {
			return reqCtx // the watcher has seen the replay
		}
		if time.Now().After(deadline) {
			t.Fatalf("reads with a replayed token never returned to the replica: %v", d.Router().Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReplicaReadYourWrites composes the module with a real streaming
// replica: plain reads go to the replica, a session's read right after its
// write goes to the primary (read-only role) and sees the write, and once
// the replica has replayed the token, reads carrying it go back to the
// replica.
func TestReplicaReadYourWrites(t *testing.T) {
	pair := dbtest.NewPair(t)
	d, l := openOn(t, pgConfig(pair.DB, pair.ReplicaReadOnlyURL), db.WithReplicaOptions(replica.WithPollInterval(20*time.Millisecond)))
	ctx := ctxT(t)

	reqCtx := checkReadYourWrites(t, d, l, pair, "technova")

	// Inside a transaction, reads stay in the transaction (primary).
	if err := d.WithTx(reqCtx, func(ctx context.Context) error {
		mark := l.Len()
		_, err := d.Reader(ctx).Tenant.Query().Count(ctx)
		if got := rolesOf(l, mark); fmt.Sprint(got) != "[primary]" {
			t.Errorf("read in tx went to %v, want [primary]", got)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}

	r := d.Health(ctx)
	if !r.Ready || len(r.Checks) == 0 || r.Checks[len(r.Checks)-1].Name != "replica-1" || !r.Checks[len(r.Checks)-1].OK {
		t.Errorf("health %+v", r)
	}
}

func waitHealthy(t *testing.T, d *db.DB) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		st := d.Router().Status()
		if len(st) == 1 && st[0].Healthy {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica never healthy: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReplicaDownFallsBack stops the replica in the middle of the test: reads
// keep working on the primary, readiness stays true (the replica check is
// not critical) while health and metrics show the replica down, and the
// replica is taken back once restarted.
func TestReplicaDownFallsBack(t *testing.T) {
	pair := dbtest.NewDedicatedPair(t)
	reg := prometheus.NewRegistry()
	d, l := openOn(t, pgConfig(pair.DB, pair.ReplicaReadOnlyURL),
		db.WithRegistry(reg),
		db.WithReplicaOptions(replica.WithPollInterval(20*time.Millisecond), replica.WithPollTimeout(500*time.Millisecond)))
	ctx := ctxT(t)
	waitHealthy(t, d)

	if err := pair.Replica.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// Reads never fail, whether the router has noticed yet or not.
	deadline := time.Now().Add(15 * time.Second)
	for d.Router().Status()[0].Healthy {
		if _, err := d.Reader(ctx).Tenant.Query().Count(ctx); err != nil {
			t.Fatalf("read while the replica stops: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("router never noticed the replica stopped")
		}
		time.Sleep(10 * time.Millisecond)
	}
	mark := l.Len()
	if _, err := d.Reader(ctx).Tenant.Query().Count(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rolesOf(l, mark); fmt.Sprint(got) != "[readonly]" {
		t.Fatalf("read with the replica down went to %v, want [readonly]", got)
	}
	if err := d.Ready(ctx); err != nil {
		t.Errorf("Ready with the replica down: %v (replicas must not fail readiness)", err)
	}
	r := d.Health(ctx)
	last := r.Checks[len(r.Checks)-1]
	if last.Name != "replica-1" || last.OK || last.Critical || last.Detail == "" {
		t.Errorf("replica check %+v", last)
	}
	if v := gauge(t, reg, "central_db_replica_healthy"); v != 0 {
		t.Errorf("central_db_replica_healthy = %v, want 0", v)
	}

	if err := pair.Replica.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, d)
	if v := gauge(t, reg, "central_db_replica_healthy"); v != 1 {
		t.Errorf("central_db_replica_healthy = %v after restart, want 1", v)
	}
}

func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s not found", name)
	return 0
}
