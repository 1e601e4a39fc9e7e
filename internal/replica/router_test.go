package replica_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/central/central/internal/replica"
)

// fixture is a router over a real primary and streaming replica.
type fixture struct {
	pair      *testPair
	rw        *sql.DB // read-write on the primary, for writes
	ro        *sql.DB // read-only role on the primary
	replicaDB *sql.DB // read-only role on the replica
	admin     *sql.DB // superuser on the replica, to pause replay
	router    *replica.Router
	logs      *observer.ObservedLogs
}

func openDB(t testing.TB, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func newFixture(t *testing.T, p *testPair, opts ...replica.Option) *fixture {
	t.Helper()
	f := &fixture{
		pair:      p,
		rw:        openDB(t, p.RWURL),
		ro:        openDB(t, p.ROURL),
		replicaDB: openDB(t, p.ReplicaURL),
		admin:     openDB(t, p.ReplicaAdminURL),
	}
	core, logs := observer.New(zapcore.InfoLevel)
	logger := zap.New(zapcore.NewTee(zaptest.NewLogger(t).Core(), core))
	f.logs = logs
	opts = append([]replica.Option{replica.WithPrimaryQuerier(f.ro)}, opts...)
	r, err := replica.NewRouter(
		entsql.OpenDB(dialect.Postgres, f.ro),
		[]replica.Target{{Name: "r1", Driver: entsql.OpenDB(dialect.Postgres, f.replicaDB), DB: f.replicaDB}},
		logger, opts...)
	if err != nil {
		t.Fatalf("NewRouter: %v", err)
	}
	f.router = r
	ctx := context.Background()
	if err := r.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return f
}

// queryRow runs a single-row query through drv (the router or one of its
// transactions) and scans it.
var queryRow = replica.QueryRow

// onReplica reports whether a read in ctx through the router ran on the replica.
func (f *fixture) onReplica(t *testing.T, ctx context.Context) bool {
	t.Helper()
	var rec bool
	if err := queryRow(ctx, f.router, "SELECT pg_is_in_recovery()", &rec); err != nil {
		t.Fatalf("read through router: %v", err)
	}
	return rec
}

// seen reads the marker table through the router: where the read ran and
// whether it saw value v.
func (f *fixture) seen(t *testing.T, ctx context.Context, table string, v int) (onReplica, found bool) {
	t.Helper()
	q := fmt.Sprintf("SELECT pg_is_in_recovery(), EXISTS (SELECT 1 FROM %s WHERE v = %d)", table, v)
	if err := queryRow(ctx, f.router, q, &onReplica, &found); err != nil {
		t.Fatalf("read through router: %v", err)
	}
	return onReplica, found
}

// createTable makes a marker table on the primary and waits until the
// replica has it.
func (f *fixture) createTable(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	if _, err := f.rw.ExecContext(ctx, "DROP TABLE IF EXISTS "+name+"; CREATE TABLE "+name+" (v int)"); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	f.waitReplay(t)
}

// waitReplay waits until the replica replayed everything the primary wrote so far.
func (f *fixture) waitReplay(t *testing.T) {
	t.Helper()
	var lsn string
	if err := f.rw.QueryRow("SELECT pg_current_wal_insert_lsn()::text").Scan(&lsn); err != nil {
		t.Fatal(err)
	}
	eventually(t, "replica replays "+lsn, func() (bool, error) {
		var ok bool
		err := f.admin.QueryRow("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", lsn).Scan(&ok)
		return ok, err
	})
}

func (f *fixture) insert(t *testing.T, ctx context.Context, table string, v int) {
	t.Helper()
	if _, err := f.rw.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s VALUES (%d)", table, v)); err != nil {
		t.Fatalf("insert: %v", err)
	}
	replica.MarkWrite(ctx)
}

func (f *fixture) pauseReplay(t *testing.T) {
	t.Helper()
	if _, err := f.admin.Exec("SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatalf("pause replay: %v", err)
	}
	t.Cleanup(func() { _, _ = f.admin.Exec("SELECT pg_wal_replay_resume()") })
}

func (f *fixture) resumeReplay(t *testing.T) {
	t.Helper()
	if _, err := f.admin.Exec("SELECT pg_wal_replay_resume()"); err != nil {
		t.Fatalf("resume replay: %v", err)
	}
}

func (f *fixture) status(t *testing.T) replica.ReplicaStatus {
	t.Helper()
	st := f.router.Status()
	if len(st) != 1 {
		t.Fatalf("Status() has %d entries, want 1", len(st))
	}
	return st[0]
}

func (f *fixture) countLogs(msg string) int {
	return f.logs.FilterMessage(msg).Len()
}

// eventually polls cond until it holds, failing the test after a generous
// deadline. It waits for asynchronous state (replication, the watcher), it
// does not measure speed.
func eventually(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		ok, err := cond()
		if ok && err == nil {
			return
		}
		lastErr = err
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting until %s (last error: %v)", what, lastErr)
}

func TestReadsGoToHealthyReplica(t *testing.T) {
	f := newFixture(t, newTestPair(t, false))
	ctx := context.Background()
	st := f.status(t)
	if !st.Healthy || st.LastErr != nil || st.ReplayLSN.IsZero() {
		t.Fatalf("status after Start = %+v, want healthy with a replay position", st)
	}
	for i := range 5 {
		if !f.onReplica(t, ctx) {
			t.Fatalf("read %d ran on the primary, want the healthy replica", i)
		}
	}
	// A transaction is routed as a whole and is read only.
	tx, err := f.router.Tx(ctx)
	if err != nil {
		t.Fatalf("Tx: %v", err)
	}
	defer tx.Rollback()
	var rec bool
	var readOnly string
	if err := queryRow(ctx, tx, "SELECT pg_is_in_recovery(), current_setting('transaction_read_only')", &rec, &readOnly); err != nil || !rec || readOnly != "on" {
		t.Fatalf("transaction read: in recovery %v, read only %q, %v; want true, on", rec, readOnly, err)
	}
	if st := f.router.Stats(); st.PrimaryReads != 0 || st.ReplicaReads["r1"] != 6 || st.Retries != 0 {
		t.Fatalf("Stats = %+v, want 6 replica reads (5 queries, 1 transaction) and nothing else", st)
	}
	// A standby refuses serializable transactions: they go to the primary.
	stx, err := f.router.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		t.Fatalf("BeginTx serializable: %v", err)
	}
	defer stx.Rollback()
	var iso string
	if err := queryRow(ctx, stx, "SELECT pg_is_in_recovery(), current_setting('transaction_isolation'), current_setting('transaction_read_only')", &rec, &iso, &readOnly); err != nil {
		t.Fatalf("serializable transaction read: %v", err)
	}
	if rec || iso != "serializable" || readOnly != "on" {
		t.Fatalf("serializable transaction: in recovery %v, isolation %q, read only %q; want primary, serializable, on", rec, iso, readOnly)
	}
}

func TestWithoutReplicasReadsUseReadOnlyPrimary(t *testing.T) {
	p := newTestPair(t, false)
	ro := openDB(t, p.ROURL)
	r, err := replica.NewRouter(entsql.OpenDB(dialect.Postgres, ro), nil, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := r.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer r.Stop(ctx)
	var rec bool
	var readOnly string
	if err := queryRow(ctx, r, "SELECT pg_is_in_recovery(), current_setting('transaction_read_only')", &rec, &readOnly); err != nil {
		t.Fatal(err)
	}
	if rec || readOnly != "on" {
		t.Fatalf("autocommit read: in recovery %v, transaction_read_only %q; want false, on", rec, readOnly)
	}
	// Exec goes to the read-only primary: PostgreSQL refuses the write.
	err = r.Exec(ctx, "CREATE TABLE must_not_exist (v int)", []any{}, nil)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
		t.Fatalf("write through Exec = %v, want SQLSTATE 25006 read_only_sql_transaction", err)
	}
	tx, err := r.BeginTx(ctx, &sql.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := queryRow(ctx, tx, "SELECT current_setting('transaction_read_only')", &readOnly); err != nil || readOnly != "on" {
		t.Fatalf("transaction_read_only in BeginTx = %q, %v; want on", readOnly, err)
	}
}

func TestStartRefusesWritablePrimary(t *testing.T) {
	p := newTestPair(t, false)
	rw := openDB(t, p.RWURL)
	r, err := replica.NewRouter(entsql.OpenDB(dialect.Postgres, rw), nil, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	err = r.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "default_transaction_read_only=on") {
		t.Fatalf("Start with a writable primary = %v, want an error naming default_transaction_read_only=on", err)
	}
}

func TestReadYourWrites(t *testing.T) {
	f := newFixture(t, newTestPair(t, false), replica.WithMaxLag(time.Hour), replica.WithPollInterval(20*time.Millisecond))
	f.createTable(t, "ryw")
	eventually(t, "watcher sees the replica caught up", func() (bool, error) {
		return f.status(t).LagBytes == 0 && f.status(t).Healthy, nil
	})

	// A dirty session reads from the primary until its token is resolved.
	ctx := replica.NewSession(context.Background())
	f.insert(t, ctx, "ryw", 1)
	if onRep, found := f.seen(t, ctx, "ryw", 1); onRep || !found {
		t.Fatalf("dirty session read: on replica %v, found %v; want primary and found", onRep, found)
	}
	tok, err := f.router.Token(ctx)
	if err != nil || tok.IsZero() {
		t.Fatalf("Token = %v, %v", tok, err)
	}
	// Once the watcher saw the replica replay the token, reads may use it and see the write.
	f.waitReplay(t)
	eventually(t, "watcher sees the token replayed", func() (bool, error) {
		return f.status(t).ReplayLSN >= tok, nil
	})
	if onRep, found := f.seen(t, ctx, "ryw", 1); !onRep || !found {
		t.Fatalf("read after replay: on replica %v, found %v; want replica and found", onRep, found)
	}

	// Replay paused: the replica lags for sure.
	f.pauseReplay(t)
	wctx := replica.NewSession(context.Background())
	f.insert(t, wctx, "ryw", 2)
	tok2, err := f.router.Token(wctx)
	if err != nil || tok2 <= tok {
		t.Fatalf("Token after a second write = %v, %v; want > %v", tok2, err, tok)
	}
	// The token travels through a string, as it would through an HTTP header.
	imported, err := replica.ParseToken(tok2.String())
	if err != nil || imported != tok2 {
		t.Fatalf("ParseToken(%q) = %v, %v", tok2.String(), imported, err)
	}
	rctx := replica.WithToken(context.Background(), imported)
	for i := range 3 {
		if onRep, found := f.seen(t, rctx, "ryw", 2); onRep || !found {
			t.Fatalf("tokened read %d with replay paused: on replica %v, found %v; want primary and found", i, onRep, found)
		}
	}
	// Without a token the lagging (but healthy) replica serves, stale.
	if onRep, found := f.seen(t, context.Background(), "ryw", 2); !onRep || found {
		t.Fatalf("untokened read with replay paused: on replica %v, found %v; want replica, not found", onRep, found)
	}
	eventually(t, "watcher measures lag bytes while replay is paused", func() (bool, error) {
		return f.status(t).LagBytes > 0, nil
	})
	if st := f.status(t); !st.Healthy {
		t.Fatalf("status with replay paused = %+v, want healthy (lag under the threshold)", st)
	}

	// Replay resumed: the watcher catches up and the replica serves the tokened read.
	f.resumeReplay(t)
	eventually(t, "watcher sees the second token replayed", func() (bool, error) {
		return f.status(t).ReplayLSN >= tok2, nil
	})
	if onRep, found := f.seen(t, rctx, "ryw", 2); !onRep || !found {
		t.Fatalf("tokened read after resume: on replica %v, found %v; want replica and found", onRep, found)
	}
}

func TestSessionTokenResolvesOnce(t *testing.T) {
	p := newTestPair(t, false)
	rw := openDB(t, p.RWURL)
	admin := openDB(t, p.ReplicaAdminURL)
	ctx := replica.NewSession(context.Background())
	s, _ := replica.FromContext(ctx)
	if tok, err := s.Token(ctx, rw); err != nil || !tok.IsZero() {
		t.Fatalf("clean session Token = %v, %v; want zero", tok, err)
	}
	if _, err := rw.Exec("CREATE TABLE IF NOT EXISTS session_tok (v int)"); err != nil {
		t.Fatal(err)
	}
	var commit string
	if err := rw.QueryRow("INSERT INTO session_tok VALUES (1) RETURNING pg_current_wal_insert_lsn()::text").Scan(&commit); err != nil {
		t.Fatal(err)
	}
	replica.MarkWrite(ctx)
	tok, err := s.Token(ctx, rw)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := replica.ParseToken(commit)
	if tok <= before {
		t.Fatalf("token %v is not past the write (WAL was at %v during the insert)", tok, before)
	}
	// Waiting for the token on the replica makes the write visible there.
	eventually(t, "replica replays the token", func() (bool, error) {
		var ok bool
		err := admin.QueryRow("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", tok.String()).Scan(&ok)
		return ok, err
	})
	var n int
	if err := admin.QueryRow("SELECT count(*) FROM session_tok WHERE v = 1").Scan(&n); err != nil || n == 0 {
		t.Fatalf("replica at the token does not see the write: %d, %v", n, err)
	}
	// No new write: no query (a closed DB would fail it).
	closed := openDB(t, p.RWURL)
	closed.Close()
	if again, err := s.Token(ctx, closed); err != nil || again != tok {
		t.Fatalf("Token without new writes = %v, %v; want %v without I/O", again, err, tok)
	}
	replica.MarkWrite(ctx)
	if _, err := s.Token(ctx, closed); err == nil {
		t.Fatal("Token after a new write did not query the primary")
	}
}

func TestMaxWaitWaitsForReplay(t *testing.T) {
	// The watcher polls rarely, so only the bounded wait can notice replay.
	f := newFixture(t, newTestPair(t, false), replica.WithPollInterval(time.Hour), replica.WithMaxLag(time.Hour),
		replica.WithMaxWait(200*time.Millisecond))
	f.createTable(t, "maxwait")
	f.pauseReplay(t)
	ctx := replica.NewSession(context.Background())
	f.insert(t, ctx, "maxwait", 1)
	if _, err := f.router.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if onRep, found := f.seen(t, ctx, "maxwait", 1); onRep || !found {
		t.Fatalf("read while replay is paused: on replica %v, found %v; want primary after the wait", onRep, found)
	}
	f.resumeReplay(t)
	f.waitReplay(t)
	if onRep, found := f.seen(t, ctx, "maxwait", 1); !onRep || !found {
		t.Fatalf("read after replay: on replica %v, found %v; want replica (found by re-polling)", onRep, found)
	}
}

func TestLagThresholdExcludesReplica(t *testing.T) {
	f := newFixture(t, newTestPair(t, false), replica.WithMaxLag(300*time.Millisecond), replica.WithPollInterval(20*time.Millisecond))
	f.createTable(t, "lagging")
	// An idle primary does not count as lag: 500ms after the last commit,
	// now() - pg_last_xact_replay_timestamp() would exceed the threshold.
	time.Sleep(500 * time.Millisecond)
	if st := f.status(t); !st.Healthy || st.Lag >= 250*time.Millisecond {
		t.Fatalf("status with an idle primary = %+v, want healthy, no lag", st)
	}
	f.pauseReplay(t)
	f.insert(t, context.Background(), "lagging", 1)
	eventually(t, "replica excluded for lag", func() (bool, error) { return !f.status(t).Healthy, nil })
	var lagErr *replica.LagError
	if st := f.status(t); !errors.As(st.LastErr, &lagErr) || lagErr.Lag <= 300*time.Millisecond || st.LagBytes == 0 {
		t.Fatalf("status = %+v, want a LagError over 300ms with lag bytes", st)
	}
	if f.onReplica(t, context.Background()) {
		t.Fatal("read went to the replica excluded for lag")
	}
	if n := f.countLogs("replica excluded from reads"); n != 1 {
		t.Fatalf("logged the exclusion %d times, want once", n)
	}
	f.resumeReplay(t)
	eventually(t, "replica taken back", func() (bool, error) { return f.status(t).Healthy, nil })
	if !f.onReplica(t, context.Background()) {
		t.Fatal("read after the replica caught up went to the primary")
	}
	if n := f.countLogs("replica takes reads"); n != 2 { // at Start and after catching up
		t.Fatalf("logged taking reads %d times, want 2", n)
	}
}

func TestReplicaStoppedMidTest(t *testing.T) {
	p := newTestPair(t, true)
	f := newFixture(t, p, replica.WithPollInterval(50*time.Millisecond))
	ctx := context.Background()
	if !f.onReplica(t, ctx) {
		t.Fatal("read before the stop ran on the primary")
	}
	// Keep replica connections busy so some are open when it stops.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rec bool
			_ = queryRow(ctx, f.router, "SELECT pg_is_in_recovery()", &rec)
		}()
	}
	wg.Wait()

	p.stop(t)
	// Every read succeeds: the first ones fail over to the primary, later
	// ones go there directly.
	for i := range 50 {
		var rec bool
		if err := queryRow(ctx, f.router, "SELECT pg_is_in_recovery()", &rec); err != nil {
			t.Fatalf("read %d after the replica stopped: %v", i, err)
		}
		if rec {
			t.Fatalf("read %d after the replica stopped ran on a server in recovery", i)
		}
	}
	eventually(t, "watcher marks the replica down", func() (bool, error) {
		st := f.status(t)
		return !st.Healthy && st.LastErr != nil, nil
	})
	if n := f.countLogs("replica excluded from reads") + f.countLogs("replica excluded from reads: a read failed with a connection error; retrying it on the primary"); n != 1 {
		t.Fatalf("logged the exclusion %d times, want once", n)
	}

	p.start(t)
	eventually(t, "replica taken back", func() (bool, error) { return f.status(t).Healthy, nil })
	eventually(t, "reads go to the replica again", func() (bool, error) { return f.onReplica(t, ctx), nil })
}

func TestStopLeavesNoGoroutines(t *testing.T) {
	p := newTestPair(t, false)
	ro := openDB(t, p.ROURL)
	rdb := openDB(t, p.ReplicaURL)
	r, err := replica.NewRouter(entsql.OpenDB(dialect.Postgres, ro),
		[]replica.Target{{Name: "r1", Driver: entsql.OpenDB(dialect.Postgres, rdb), DB: rdb}},
		zaptest.NewLogger(t), replica.WithPollInterval(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err == nil {
		t.Fatal("second Start succeeded")
	}
	time.Sleep(50 * time.Millisecond) // let the watcher poll a few times
	if routerGoroutines() == 0 {
		t.Fatal("no watcher goroutine found while running: the leak check would prove nothing")
	}
	if err := r.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Stop(ctx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if n := routerGoroutines(); n != 0 {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d router goroutines still running after Stop:\n%s", n, buf[:runtime.Stack(buf, true)])
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// routerGoroutines counts goroutines running code of the Router.
func routerGoroutines() int {
	buf := make([]byte, 1<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "internal/replica.(*Router)") && !strings.Contains(g, "routerGoroutines") {
			n++
		}
	}
	return n
}

func TestReplicaStoppedQueriesFailOver(t *testing.T) {
	p := newTestPair(t, true)
	// The watcher would only poll in an hour: the read path alone must cope.
	f := newFixture(t, p, replica.WithPollInterval(time.Hour))
	ctx := context.Background()
	if !f.onReplica(t, ctx) {
		t.Fatal("read before the stop ran on the primary")
	}
	// A read running on the replica when it stops fails with 57P01 before
	// any row arrives, so it is retried on the primary.
	type result struct {
		inRecovery bool
		err        error
	}
	inflight := make(chan result, 1)
	started := make(chan struct{})
	go func() {
		var res result
		close(started)
		res.err = queryRow(ctx, f.router, "SELECT pg_is_in_recovery() FROM pg_sleep(2)", &res.inRecovery)
		inflight <- res
	}()
	<-started
	eventually(t, "the slow read runs on the replica", func() (bool, error) {
		var n int
		err := f.admin.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%FROM pg_sleep(2)' AND pid <> pg_backend_pid()").Scan(&n)
		return n == 1, err
	})
	p.stop(t)
	if res := <-inflight; res.err != nil || res.inRecovery {
		t.Fatalf("in-flight read when the replica stopped: in recovery %v, error %v; want retried on the primary", res.inRecovery, res.err)
	}
	for i := range 10 {
		var rec bool
		if err := queryRow(ctx, f.router, "SELECT pg_is_in_recovery()", &rec); err != nil {
			t.Fatalf("read %d after the replica stopped: %v", i, err)
		}
		if rec {
			t.Fatalf("read %d after the replica stopped ran on a server in recovery", i)
		}
	}
	st := f.status(t)
	if st.Healthy || st.LastErr == nil {
		t.Fatalf("status after a failed read = %+v, want unhealthy with the read's error", st)
	}
	if stats := f.router.Stats(); stats.Retries == 0 || stats.PrimaryReads < 10 {
		t.Fatalf("Stats = %+v, want retries and the reads after the failure on the primary", stats)
	}
	p.start(t)
}

func TestRoundRobinSkipsUnreachableReplica(t *testing.T) {
	p := newTestPair(t, false)
	ro := openDB(t, p.ROURL)
	a, b := openDB(t, p.ReplicaURL), openDB(t, p.ReplicaURL) // two pools on the one replica
	dead := openDB(t, "postgres://central_ro@127.0.0.1:1/central?connect_timeout=2")
	core, logs := observer.New(zapcore.WarnLevel)
	r, err := replica.NewRouter(entsql.OpenDB(dialect.Postgres, ro), []replica.Target{
		{Name: "a", Driver: entsql.OpenDB(dialect.Postgres, a), DB: a},
		{Name: "dead", Driver: entsql.OpenDB(dialect.Postgres, dead), DB: dead},
		{Name: "b", Driver: entsql.OpenDB(dialect.Postgres, b), DB: b},
	}, zap.New(zapcore.NewTee(zaptest.NewLogger(t).Core(), core)), replica.WithPrimaryQuerier(ro), replica.WithPollInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Stop(ctx)
	for i := range 20 {
		var rec bool
		if err := queryRow(ctx, r, "SELECT pg_is_in_recovery()", &rec); err != nil || !rec {
			t.Fatalf("read %d: in recovery %v, %v; want a healthy replica", i, rec, err)
		}
	}
	st := r.Stats()
	if st.PrimaryReads != 0 || st.ReplicaReads["dead"] != 0 || st.ReplicaReads["a"] != 10 || st.ReplicaReads["b"] != 10 {
		t.Fatalf("Stats = %+v, want 10 reads on a and on b, none elsewhere", st)
	}
	status := r.Status()
	if !status[0].Healthy || status[1].Healthy || !status[2].Healthy {
		t.Fatalf("Status = %+v, want a and b healthy, dead not", status)
	}
	var connectErr *pgconn.ConnectError
	if !errors.As(status[1].LastErr, &connectErr) {
		t.Fatalf("dead replica LastErr = %v, want a *pgconn.ConnectError", status[1].LastErr)
	}
	time.Sleep(100 * time.Millisecond) // several failed polls
	if n := logs.FilterMessage("replica excluded from reads").Len(); n != 1 {
		t.Fatalf("logged the dead replica's exclusion %d times, want once", n)
	}
}

// countingQuerier counts the queries a router sends to a replica's DB.
type countingQuerier struct {
	*sql.DB
	n atomic.Int64
}

func (c *countingQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	c.n.Add(1)
	return c.DB.QueryRowContext(ctx, query, args...)
}

func TestMaxWaitSharesPolls(t *testing.T) {
	p := newTestPair(t, false)
	f := &fixture{rw: openDB(t, p.RWURL), admin: openDB(t, p.ReplicaAdminURL)}
	ro, rdb := openDB(t, p.ROURL), openDB(t, p.ReplicaURL)
	counter := &countingQuerier{DB: rdb}
	const maxWait = 100 * time.Millisecond
	r, err := replica.NewRouter(entsql.OpenDB(dialect.Postgres, ro),
		[]replica.Target{{Name: "r1", Driver: entsql.OpenDB(dialect.Postgres, rdb), DB: counter}},
		zaptest.NewLogger(t), replica.WithPrimaryQuerier(ro), replica.WithPollInterval(time.Hour),
		replica.WithMaxLag(time.Hour), replica.WithMaxWait(maxWait))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Stop(ctx)
	f.pauseReplay(t)
	if _, err := f.rw.Exec("CREATE TABLE shared_polls (v int)"); err != nil {
		t.Fatal(err)
	}
	wctx := replica.NewSession(ctx)
	replica.MarkWrite(wctx)
	tok, err := r.Token(wctx)
	if err != nil {
		t.Fatal(err)
	}
	before := counter.n.Load()
	const readers = 20
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rec bool
			if err := queryRow(replica.WithToken(ctx, tok), r, "SELECT pg_is_in_recovery()", &rec); err != nil || rec {
				errs <- fmt.Errorf("tokened read with replay paused: in recovery %v, %v; want the primary", rec, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Shared polls: at most one per 2ms over the wait, however many readers
	// wait; unshared, each reader would poll about 50 times.
	if polls, limit := counter.n.Load()-before, int64(maxWait/(2*time.Millisecond))+readers; polls > limit {
		t.Fatalf("%d readers waiting %v polled the replica %d times, want at most %d", readers, maxWait, polls, limit)
	} else {
		t.Logf("%d readers waiting %v polled the replica %d times", readers, maxWait, polls)
	}
}
