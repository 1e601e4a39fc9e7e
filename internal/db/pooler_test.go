package db_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/zap"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
)

// poolerClients is the client pool size of each side in pooler tests: 8
// clients for PgBouncer's 2 server connections.
const poolerClients = 8

// pooledConfig describes p the way config.Load does with
// POSTGRES_POOLER=transaction: both sides through PgBouncer, migrations and
// locks direct.
func pooledConfig(p *dbtest.Pooled) config.Postgres {
	pg := pgConfig(p.DB)
	pg.ReadWrite.URL = config.Secret(p.PooledURL)
	pg.ReadWrite.PoolSize = poolerClients
	pg.ReadOnly.URL = config.Secret(p.PooledReadOnlyURL)
	pg.ReadOnly.PoolSize = poolerClients
	pg.Pooler = config.PoolerTransaction
	pg.Direct = config.Conn{URL: config.Secret(p.URL), PoolSize: config.DefaultDirectPoolSize, AppName: config.DefaultDirectAppName}
	return pg
}

// assertNoSessionState fails if the server sessions behind p's pooled URLs
// carry anything from one client to the next.
func assertNoSessionState(t *testing.T, p *dbtest.Pooled) {
	t.Helper()
	for _, u := range []string{p.PooledURL, p.PooledReadOnlyURL} {
		found, err := dbtest.SessionState(ctxT(t), u, p.Bouncer.PoolSize())
		if err != nil {
			t.Fatal(err)
		}
		if len(found) > 0 {
			t.Fatalf("session state left behind PgBouncer:\n%s", strings.Join(found, "\n"))
		}
	}
}

// TestPoolerStockPgBouncerRefusesDirectPools is the production failure this
// mode fixes: pools configured for direct connections send
// default_transaction_read_only at connect time and PgBouncer refuses them.
func TestPoolerStockPgBouncerRefusesDirectPools(t *testing.T) {
	t.Parallel()
	p := dbtest.NewPooled(t)
	pg := pooledConfig(p)
	pg.Pooler, pg.Direct = config.PoolerNone, config.Conn{}
	d, err := db.Open(ctxT(t), pg, zap.NewNop())
	if err == nil {
		_ = d.Stop(context.Background())
		t.Fatal("Open through PgBouncer without POSTGRES_POOLER=transaction succeeded; the stock PgBouncer should refuse default_transaction_read_only")
	}
	if !strings.Contains(err.Error(), "unsupported startup parameter") {
		t.Fatalf("Open: %v, want PgBouncer's unsupported startup parameter", err)
	}
}

func TestPoolerPools(t *testing.T) {
	t.Parallel()
	p := dbtest.NewPooled(t)
	d, _ := openOn(t, pooledConfig(p))
	ctx := ctxT(t)
	pools := d.Pools()
	if !pools.UsesPooler() || pools.Direct == nil {
		t.Fatal("pooler mode without a direct pool")
	}
	if got := pools.ReadWrite.Pgx.Config().ConnConfig.DefaultQueryExecMode; got != db.PoolerQueryExecMode {
		t.Errorf("read-write pool query mode %v, want %v", got, db.PoolerQueryExecMode)
	}
	if got := pools.ReadOnly.Pgx.Config().ConnConfig.RuntimeParams; len(got) != 1 || got["application_name"] == "" {
		t.Errorf("read-only pool startup parameters %v, want application_name only", got)
	}
	if got := pools.Direct.Pgx.Config().ConnConfig.Port; int(got) != p.Server.Port() {
		t.Errorf("direct pool port %d, want PostgreSQL's %d (not PgBouncer's %d)", got, p.Server.Port(), p.Bouncer.Port())
	}
	if pools.DirectDB() != pools.Direct.DB {
		t.Error("DirectDB is not the direct pool")
	}
	// A session on DirectDB is one server session: a session advisory lock
	// taken on it is still held by the same backend later.
	conn, err := pools.DirectDB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var pid1, pid2 int
	if err := conn.QueryRowContext(ctx, "SELECT pg_backend_pid() FROM (SELECT pg_advisory_lock(7)) l").Scan(&pid1); err != nil {
		t.Fatal(err)
	}
	var holder int
	if err := conn.QueryRowContext(ctx, "SELECT pg_backend_pid(), (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = 7)").Scan(&pid2, &holder); err != nil {
		t.Fatal(err)
	}
	if pid1 != pid2 || holder != pid1 {
		t.Fatalf("direct session changed backend (%d, %d) or lost its lock (holder %d)", pid1, pid2, holder)
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock(7)"); err != nil {
		t.Fatal(err)
	}
}

// TestPoolerTransactions runs WithTx with savepoints, OnCommit hooks, COPY on
// the transaction's connection and real serialization-failure retries
// through PgBouncer, 8 clients at once on 2 server connections, then checks
// that no session state was left behind.
func TestPoolerTransactions(t *testing.T) {
	t.Parallel()
	p := dbtest.NewPooled(t, dbtest.Empty())
	d, _ := openOn(t, pooledConfig(p))
	exec(t, d, "CREATE TABLE items (id serial PRIMARY KEY, v text NOT NULL)")
	ctx := ctxT(t)

	var wg sync.WaitGroup
	var hooks sync.Map
	errs := make(chan error, poolerClients)
	for c := range poolerClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- d.WithTx(ctx, func(ctx context.Context) error {
				db.OnCommit(ctx, func() { hooks.Store(c, true) })
				if err := insert(ctx, d, fmt.Sprintf("c%d-outer", c)); err != nil {
					return err
				}
				// A failing nested WithTx rolls back to its savepoint only.
				inner := d.WithTx(ctx, func(ctx context.Context) error {
					if err := insert(ctx, d, fmt.Sprintf("c%d-inner", c)); err != nil {
						return err
					}
					return errBoom
				})
				if !errors.Is(inner, errBoom) {
					return fmt.Errorf("inner: %v, want errBoom", inner)
				}
				// COPY on the transaction's connection, through the pooler.
				return d.WithTxConn(ctx, func(conn *pgx.Conn) error {
					_, err := conn.CopyFrom(ctx, pgx.Identifier{"items"}, []string{"v"},
						pgx.CopyFromRows([][]any{{fmt.Sprintf("c%d-copy", c)}}))
					return err
				})
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, d, "SELECT count(*) FROM items WHERE v LIKE '%-inner'"); n != 0 {
		t.Errorf("%d rows of rolled-back savepoints survived", n)
	}
	if n := count(t, d, "SELECT count(*) FROM items WHERE v LIKE '%-outer' OR v LIKE '%-copy'"); n != 2*poolerClients {
		t.Errorf("%d outer and copied rows, want %d", n, 2*poolerClients)
	}
	n := 0
	hooks.Range(func(_, _ any) bool { n++; return true })
	if n != poolerClients {
		t.Errorf("%d OnCommit hooks ran, want %d", n, poolerClients)
	}

	// Write skew under SERIALIZABLE: one of the two fails with 40001 and is
	// rerun from the start on whatever server session the pooler gives it.
	exec(t, d, "TRUNCATE items")
	calls := writeSkew(t, d)
	if calls != 3 || items(t, d) != "seen0,seen1" {
		t.Errorf("serializable retry: %d calls and items %q, want 3 and seen0,seen1", calls, items(t, d))
	}

	// Reads outside transactions, many at once, on the routed client.
	for range 50 {
		if _, err := d.ReadOnlyClient().Tenant.Query().Count(ctx); err == nil {
			t.Fatal("the empty schema has no tenants table; the read should fail")
		}
	}
	assertNoSessionState(t, p)
}

// TestPoolerReadOnly: behind a transaction pooler the read-only side keeps
// refusing writes (the role's default_transaction_read_only and its grants),
// and Start refuses a read-only role whose sessions would default to
// read-write.
func TestPoolerReadOnly(t *testing.T) {
	t.Parallel()
	p := dbtest.NewPooled(t)
	d, _ := openOn(t, pooledConfig(p))
	ctx := ctxT(t)
	_, err := d.Pools().ReadOnly.ExecContext(ctx, "CREATE TABLE nope (x int)")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
		t.Fatalf("write on the read-only pool through PgBouncer: %v, want 25006", err)
	}
	// Read transactions begin READ ONLY whatever the role says.
	tx, err := d.Router().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rows entsql.Rows
	if err := tx.Query(ctx, "SHOW transaction_read_only", []any{}, &rows); err != nil {
		t.Fatal(err)
	}
	var ro string
	for rows.Next() {
		if err := rows.Scan(&ro); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	_ = tx.Rollback()
	if ro != "on" {
		t.Fatalf("read transaction: transaction_read_only = %q, want on", ro)
	}

	// Break it: a read-only URL whose role defaults to read-write.
	pg := pooledConfig(p)
	pg.ReadOnly.URL = config.Secret(p.PooledURL)
	_, err = db.Open(ctx, pg, zap.NewNop())
	if err == nil || !strings.Contains(err.Error(), "ALTER ROLE") || !strings.Contains(err.Error(), "default_transaction_read_only") {
		t.Fatalf("Open with a read-write role on the read-only side: %v, want the ALTER ROLE fix", err)
	}
}

// TestDescribeExecUnsafeBehindPooler shows why QueryExecModeDescribeExec is
// ruled out: it describes the unnamed statement in one round trip and binds
// it in the next, and between the two the pooler may give the server session
// to another client, whose unnamed statement then runs instead. With one
// server connection the interleaving is forced.
func TestDescribeExecUnsafeBehindPooler(t *testing.T) {
	t.Parallel()
	p := dbtest.NewPooledSize(t, 1, dbtest.Empty())
	ctx := ctxT(t)
	connect := func() *pgconn.PgConn {
		c, err := pgconn.Connect(ctx, p.PooledURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		return c
	}
	a, b := connect(), connect()
	// What DescribeExec does for a's query: Prepare("") then Bind("").
	sdA, err := a.Prepare(ctx, "", "SELECT 'mine'::text", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Prepare(ctx, "", "SELECT 'theirs'::text", nil); err != nil {
		t.Fatal(err)
	}
	res := a.ExecStatement(ctx, sdA, nil, nil, nil).Read()
	if res.Err != nil {
		t.Logf("a's bind failed outright: %v", res.Err)
		return
	}
	if len(res.Rows) != 1 || string(res.Rows[0][0]) != "theirs" {
		t.Fatalf("got %q; expected the other client's statement to run: the demonstration no longer holds", res.Rows)
	}
	// The chosen mode sends Parse, Bind and Execute in one round trip.
	if db.PoolerQueryExecMode == pgx.QueryExecModeDescribeExec || db.PoolerQueryExecMode == pgx.QueryExecModeCacheStatement {
		t.Fatalf("PoolerQueryExecMode %v needs a server session across round trips", db.PoolerQueryExecMode)
	}
}
