// Package dbtest gives each test its own PostgreSQL database, cloned from a
// template database that was migrated once, so database tests run in
// parallel against a real server and never skip.
//
// # Which server
//
// With TEST_DATABASE_URL set (a superuser URL such as
// postgres://postgres@127.0.0.1:5432/postgres), databases are created there;
// the roles central and central_ro are created when missing (no password: the
// server must trust them, as the CI server does), and jsonb @> is marked
// LEAKPROOF in its template1 (tenantctx.LeakproofSQL; why: internal/tenantctx). Otherwise one embedded
// cluster (internal/pgserver) is started per test binary on first use, in
// /dev/shm when it is roomy, else the temporary directory.
//
// # TestMain
//
// Every package that uses dbtest calls Main from its TestMain, so the
// embedded clusters are stopped and their directories removed when the tests
// end (New fails with a message saying so otherwise):
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
//
// Should the test binary be killed instead, the kernel stops postgres
// (SIGINT on parent death) and the next run removes the directory.
//
// # Databases and templates
//
// New clones a template named central_tmpl_<hash>, where the hash covers the
// names and contents of the migration files. The template is created and
// migrated once per server, under an advisory lock, so parallel tests and
// concurrently running test binaries share it; it counts as done only once
// marked IS_TEMPLATE after its migration succeeded. Each template is marked
// like template1 (jsonb @> LEAKPROOF) before it is migrated, so every clone
// plans profile filters as the app database does. By default the template
// holds the project's schema (package migrations applied by
// internal/migrate, as at boot); WithMigrations chooses other migrations and
// Empty gives a blank database. Each database is dropped WITH (FORCE) when
// its test ends; on a TEST_DATABASE_URL server, databases abandoned by
// killed test binaries are dropped a day later by the next Connect.
//
// With DBTEST_KEEP_FAILED=1, a failed test's database (from New, NewPair
// or NewPooled) is kept instead and its URL logged, to inspect with psql (as pgtestdb does). An embedded
// cluster ends with its test binary, so to inspect after the run, point
// TEST_DATABASE_URL at a server of your own.
//
// # Benchmarks and fsync
//
// Embedded clusters run with fsync and full_page_writes off, in /dev/shm
// when roomy: right for tests, flattering for write benchmarks. Every
// benchmark that takes a database from New states the cluster's settings in
// its log and a "durable" metric (1 or 0) in its result line. With
// DBTEST_DURABLE=1 the embedded clusters (New's, the pair's, the pooled
// one's) run durable (fsync,
// full_page_writes, synchronous_commit on, on disk): figures worth quoting
// come from such runs.
//
// DB.URL connects as the owner role central, DB.ReadOnlyURL as central_ro
// (reads everything, writes nothing), DB.AdminURL as the superuser. OpenDB
// and Pool open handles closed at cleanup.
//
// # Replicas
//
// NewPair gives a database on an embedded primary with a streaming replica,
// shared by the test binary (do not stop its replica); NewDedicatedPair
// starts a pair for one test, which may stop and restart the replica. Pairs
// are always embedded. Pair.WaitReplay(ctx, lsn) and Pair.Sync wait until the
// replica has caught up.
//
// # Behind PgBouncer
//
// NewPooled gives a database on an embedded cluster shared by the test binary
// with a real PgBouncer in front of it (internal/pgbouncer: transaction
// pooling, 2 server connections per database and user): Pooled.PooledURL and
// PooledReadOnlyURL go through PgBouncer, the embedded DB's URLs are direct
// (the app's POSTGRES_DIRECT_URL). NewPooledSize starts a PgBouncer of the
// test's own with another pool size. SessionState lists the session state
// (SET without LOCAL, prepared statements, advisory locks, LISTEN, temporary
// tables, WITH HOLD cursors) left on the server connections behind a pooled
// URL: empty means nothing leaks from one client to the next.
//
// # Usage
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
//
//	func TestWidgets(t *testing.T) {
//		t.Parallel()
//		db := dbtest.New(t, dbtest.Empty()) // dbtest.New(t): the project's schema
//		ctx := context.Background()
//		pool := db.Pool(t) // as central; db.ReadOnlyURL refuses writes (SQLSTATE 25006)
//		if _, err := pool.Exec(ctx, "CREATE TABLE widgets (name text)"); err != nil {
//			t.Fatal(err)
//		}
//	}
//
//	func TestReplicaReads(t *testing.T) {
//		p := dbtest.NewPair(t)
//		ctx := context.Background()
//		// write through p.URL, then
//		if err := p.Sync(ctx); err != nil {
//			t.Fatal(err)
//		}
//		// read through p.ReplicaReadOnlyURL
//	}
package dbtest
