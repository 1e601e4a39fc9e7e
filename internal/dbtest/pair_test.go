package dbtest

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestPairReplicates(t *testing.T) {
	for _, name := range []string{"first", "second"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := NewPair(t)
			ctx := ctxT(t)
			primary := connect(t, p.URL)
			if _, err := primary.Exec(ctx, "CREATE TABLE t (v text)"); err != nil {
				t.Fatal(err)
			}
			if _, err := primary.Exec(ctx, "INSERT INTO t VALUES ($1)", name); err != nil {
				t.Fatal(err)
			}
			var lsn string
			if err := primary.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn); err != nil {
				t.Fatal(err)
			}
			if err := p.WaitReplay(ctx, lsn); err != nil {
				t.Fatal(err)
			}
			for _, url := range []string{p.ReplicaURL, p.ReplicaReadOnlyURL} {
				replica := connect(t, url)
				var v string
				if err := replica.QueryRow(ctx, "SELECT v FROM t").Scan(&v); err != nil || v != name {
					t.Fatalf("replica read %q, %v; want %q", v, err, name)
				}
				_, err := replica.Exec(ctx, "INSERT INTO t VALUES ('x')")
				var pgErr *pgconn.PgError
				if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
					t.Fatalf("write on replica: %v, want 25006", err)
				}
			}
		})
	}
}

func TestDedicatedPairSurvivesReplicaRestart(t *testing.T) {
	p := NewDedicatedPair(t)
	ctx := ctxT(t)
	primary := connect(t, p.URL)
	if _, err := primary.Exec(ctx, "CREATE TABLE t (id int)"); err != nil {
		t.Fatal(err)
	}
	if err := p.Replica.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := primary.Exec(ctx, "INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if err := p.Sync(ctx); err == nil {
		t.Fatal("Sync with the replica stopped succeeded")
	}
	if err := p.Replica.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := connect(t, p.ReplicaReadOnlyURL).QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 1 {
		t.Fatalf("replica count = %d, %v", n, err)
	}
}
