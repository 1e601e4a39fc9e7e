// Package db is the app's database module: read-write and read-only pools,
// the ent clients over them (with SQL logging and replica routing),
// transactions carried in the context, health checks, metrics and the fx
// Module.
//
// # Pools and clients
//
// NewPools opens (lazily) one *pgxpool.Pool per connection target: the
// primary as the read-write role (ReadWritePool), the primary as the
// read-only role (ReadOnlyPool) and each configured replica (ReplicaPool).
// Every pool is capped at its configured size and sets application_name;
// read-only pools also force default_transaction_read_only=on. Each pool
// also offers a database/sql view of the same connections (the embedded
// *sql.DB, stdlib.OpenDBFromPool) for code that needs database/sql: Atlas
// migrations, advisory-lock sessions, the replica router's polls.
//
// The ent clients run on pgx directly, through internal/pgxdriver: no
// database/sql between ent and the wire. New builds on the pools:
//
//   - the read-write *ent.Client, logged as role primary (internal/sqllog);
//     every statement and commit on it marks the request's replica session
//     (replica.MarkWrite) for read-your-writes;
//   - the *ent.ReadOnlyClient over a replica.Router: reads go to a replica
//     that has replayed the session's writes, else to the read-only primary.
//
// Read-only is enforced three ways: the ReadOnlyClient type has no write
// methods; read-only sessions run with default_transaction_read_only=on; and
// the read-only role (central_ro, member of pg_read_all_data) has no write
// grants, so even SET default_transaction_read_only=off does not help. Start
// warns when the read-only pool's role is a superuser or the database owner,
// when a pool's role bypasses row-level security, and when jsonb @> is not
// LEAKPROOF in the database (profile filters then read the tenant's rows
// instead of the GIN index; the warning names the statement to run).
//
// # Behind a transaction pooler
//
// With config.PoolerTransaction (POSTGRES_POOLER=transaction) the read-write
// and read-only URLs reach PgBouncer in transaction mode, where consecutive
// transactions of one client connection may run on different server
// sessions. NewPools then configures both sides with PoolerQueryExecMode (no
// server-side prepared statements) and no startup parameter besides
// application_name, and opens Pools.Direct on POSTGRES_DIRECT_URL: DirectDB
// is what migrations and the session advisory locks of migrations and seeds
// use. Start fails unless the read-only role's sessions default to read-only
// (ALTER ROLE ... SET default_transaction_read_only = on), since the pool can
// no longer ask for it.
//
// # Transactions: one mechanism
//
// A transaction travels in the context. Services never take a *ent.Tx or a
// client argument; they ask the DB for the client that fits the context:
//
//	func (s *Tenants) Get(ctx context.Context, id ids.TenantID) (*ent.Tenant, error) {
//		return s.db.Reader(ctx).Tenant.Get(ctx, id) // replica, or the caller's tx
//	}
//
//	func (s *Tenants) TxCreate(ctx context.Context, in NewTenant) (t *ent.Tenant, err error) {
//		err = s.db.WithTx(ctx, func(ctx context.Context) error {
//			t, err = s.db.Writer(ctx).Tenant.Create().SetSlug(in.Slug).Save(ctx)
//			if err != nil {
//				return err
//			}
//			return s.audit.Record(ctx, "tenant.create", t.ID) // same tx
//		})
//		return t, err
//	}
//
// Writer(ctx) is the transaction's client when ctx carries one, else the
// read-write client. Reader(ctx) is the transaction's read-only view (reads
// see its own writes), else the routed read-only client. WithTx begins a
// transaction, or, when ctx already carries one, a SAVEPOINT: so a Tx method
// called inside a caller's transaction nests, and its failure rolls back only
// its own work. The outermost WithTx commits or rolls back (panics included,
// re-raised after the rollback; runtime.Goexit rolls back too), retries serialization failures and
// deadlocks (40001, 40P01) with bounded jittered backoff, and then runs the
// OnCommit hooks. A context carrying a transaction must not be used after
// WithTx returns, nor from several goroutines at once.
//
// # Lifecycle
//
// Without fx: Open (NewPools, New, Start) and Stop. Start pings both primary
// pools, retrying an unreachable server for up to Pools.PingTimeout (a
// starting container) but not a server that answers with an error; a
// *PingError names the pool, host:port, database and user, never the
// password. Then it starts the replica watcher. Stop marks the DB not ready,
// stops the watcher, waits until no connection is in use (in-flight queries
// and transactions finish) or the context ends (*DrainError), then closes the
// pools in reverse order of opening.
//
// With fx, Module provides *Pools, *ReadWritePool, *ReadOnlyPool, *DB,
// *ent.Client, *ent.ReadOnlyClient and *replica.Router; it needs
// config.Config, *zap.Logger and *prometheus.Registry, and uses a
// PendingChecker when one is provided:
//
//	fx.New(
//		fx.Supply(cfg),    // config.Config, embedded URLs filled in
//		fx.Provide(newLogger, prometheus.NewRegistry),
//		db.Module,
//		fx.Provide(fx.Annotate(newMigrator, fx.As(new(db.PendingChecker)))),
//	)
//
// # Health and metrics
//
// Live pings both primary pools. Ready also fails while stopping and while
// migrations are pending (*NotReadyError); Health returns every check,
// including each replica's state and lag, which never fails readiness (reads
// fall back to the primary). WithRegistry registers pool statistics
// (pgxpool.Stat, under the go_sql_* names of Prometheus' database/sql
// collector so dashboards carry over, plus central_db_pool_* for acquires
// and new connections) per pool (label db_name: readwrite, readonly,
// replica-N), the
// central_db_query_duration_seconds histogram by role, and replica health
// and lag gauges.
package db
