package db

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/central/central/ent"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/pgxdriver"
	"github.com/central/central/internal/replica"
	"github.com/central/central/internal/sqllog"
)

// PendingChecker reports how many migrations are not applied yet; the
// migrate package satisfies it. Readiness fails while Pending returns more
// than zero.
type PendingChecker interface {
	Pending(ctx context.Context) (int, error)
}

// PendingFunc adapts a function to PendingChecker.
type PendingFunc func(ctx context.Context) (int, error)

// Pending implements PendingChecker.
func (f PendingFunc) Pending(ctx context.Context) (int, error) { return f(ctx) }

// Option configures New.
type Option func(*options) error

type options struct {
	slow       time.Duration
	registry   prometheus.Registerer
	pending    PendingChecker
	replicaOpt []replica.Option
}

// WithSlowQueryThreshold logs statements slower than d at warn level (0
// disables; default config.DefaultSlowQueryThreshold).
func WithSlowQueryThreshold(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("db: slow query threshold %v: must not be negative", d)
		}
		o.slow = d
		return nil
	}
}

// WithRegistry registers the pool statistics, the query-duration histogram
// and the replica gauges on reg. Without it no metric is registered.
func WithRegistry(reg prometheus.Registerer) Option {
	return func(o *options) error {
		if reg == nil {
			return errors.New("db: registry is nil: pass a *prometheus.Registry or omit WithRegistry")
		}
		o.registry = reg
		return nil
	}
}

// WithPendingChecker makes Ready fail while migrations are pending.
func WithPendingChecker(pc PendingChecker) Option {
	return func(o *options) error {
		if pc == nil {
			return errors.New("db: pending checker is nil: pass the migrator or omit WithPendingChecker")
		}
		o.pending = pc
		return nil
	}
}

// WithReplicaOptions passes options to the replica router (poll interval,
// max wait, ...). The max lag comes from config via New's caller.
func WithReplicaOptions(opts ...replica.Option) Option {
	return func(o *options) error {
		o.replicaOpt = append(o.replicaOpt, opts...)
		return nil
	}
}

// DB is the app's database: the read-write client, the routed read-only
// client, transactions in the context (WithTx), health and metrics.
type DB struct {
	pools   *Pools
	log     *zap.Logger
	rw      *ent.Client
	ro      *ent.ReadOnlyClient
	rwDrv   dialect.Driver
	router  *replica.Router
	pending PendingChecker
	hist    *prometheus.HistogramVec

	stopping atomic.Bool
}

// New builds the clients over pools without I/O: the read-write client logs
// as role primary and marks writes for read-your-writes; the read-only client
// goes through a replica.Router over the read-only primary pool (role
// readonly) and the replica pools (role replica). Call Start before use and
// Stop at the end. maxLag is the replica lag beyond which a replica stops
// getting reads (config.Postgres.ReplicaMaxLag; 0 uses the router default).
func New(pools *Pools, logger *zap.Logger, maxLag time.Duration, opts ...Option) (*DB, error) {
	if pools == nil || pools.ReadWrite == nil || pools.ReadOnly == nil {
		return nil, errors.New("db: pools are nil: open them with NewPools")
	}
	if logger == nil {
		return nil, errors.New("db: logger is nil: pass a *zap.Logger (zap.NewNop() to discard)")
	}
	o := options{slow: config.DefaultSlowQueryThreshold}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("db: option is nil")
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	log := logger.Named("db")
	hist := sqllog.NewHistogram()
	wrap := func(d dialect.Driver, role string) *sqllog.Driver {
		return sqllog.Wrap(d, log, sqllog.Options{Role: role, SlowThreshold: o.slow, Histogram: hist})
	}

	// Every client runs on pgx directly (internal/pgxdriver); the
	// database/sql views serve QueryContext outside transactions and the
	// replica router's polls.
	rwPgx := pgxdriver.New(pools.ReadWrite.Pgx, pgxdriver.WithDatabaseSQL(pools.ReadWrite.DB))
	rwDrv := &markingDriver{Driver: wrap(txConnDriver{rwPgx}, sqllog.RolePrimary)}
	roDrv := wrap(pgxdriver.New(pools.ReadOnly.Pgx, pgxdriver.WithDatabaseSQL(pools.ReadOnly.DB)), sqllog.RoleReadOnly)
	targets := make([]replica.Target, 0, len(pools.Replicas))
	for _, r := range pools.Replicas {
		targets = append(targets, replica.Target{
			Name:   r.Name,
			Driver: wrap(pgxdriver.New(r.Pgx, pgxdriver.WithDatabaseSQL(r.DB)), sqllog.RoleReplica),
			DB:     r.DB,
		})
	}
	ropts := []replica.Option{replica.WithPrimaryQuerier(pools.ReadOnly.DB)}
	if maxLag > 0 {
		ropts = append(ropts, replica.WithMaxLag(maxLag))
	}
	router, err := replica.NewRouter(roDrv, targets, log.Named("replica"), append(ropts, o.replicaOpt...)...)
	if err != nil {
		return nil, fmt.Errorf("db: replica router: %w", err)
	}

	d := &DB{
		pools:   pools,
		log:     log,
		rw:      ent.NewClient(ent.Driver(rwDrv)),
		ro:      ent.NewReadOnlyClient(ent.Driver(router)),
		rwDrv:   rwDrv,
		router:  router,
		pending: o.pending,
		hist:    hist,
	}
	if o.registry != nil {
		if err := d.register(o.registry); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Open is NewPools, New and Start in one call, for programs and tests that
// do not use fx. Close it with Stop.
func Open(ctx context.Context, cfg config.Postgres, logger *zap.Logger, opts ...Option) (*DB, error) {
	pools, err := NewPools(cfg)
	if err != nil {
		return nil, err
	}
	d, err := New(pools, logger, cfg.ReplicaMaxLag, append([]Option{WithSlowQueryThreshold(cfg.SlowQueryThreshold)}, opts...)...)
	if err != nil {
		_ = pools.Close()
		return nil, err
	}
	if err := d.Start(ctx); err != nil {
		_ = pools.Close()
		return nil, err
	}
	return d, nil
}

// Start pings both primary pools (a *PingError says which failed) and starts
// the replica watcher.
func (d *DB) Start(ctx context.Context) error {
	if err := d.pools.Ping(ctx); err != nil {
		return err
	}
	return d.startClients(ctx)
}

// startClients is Start after the pools answer; under fx the pools' own hook
// pings them first.
func (d *DB) startClients(ctx context.Context) error {
	if err := d.checkPools(ctx); err != nil {
		return err
	}
	if err := d.router.Start(ctx); err != nil {
		return fmt.Errorf("db: start replica router: %w", err)
	}
	return nil
}

// stopClients is Stop before the pools close; under fx the pools' own hook
// closes them afterwards.
func (d *DB) stopClients(ctx context.Context) error {
	d.stopping.Store(true)
	return d.router.Stop(ctx)
}

// Stop marks the database not ready, stops the replica watcher, lets
// in-flight queries and transactions finish (until ctx ends), then closes
// every pool in reverse order of opening.
func (d *DB) Stop(ctx context.Context) error {
	return errors.Join(d.stopClients(ctx), d.pools.Stop(ctx))
}

// Client returns the read-write client (outside any transaction). Prefer
// Writer(ctx), which joins the context's transaction.
func (d *DB) Client() *ent.Client { return d.rw }

// Driver returns the read-write client's driver (SQL log, write marking),
// for statements outside ent's typed queries: its dialect-level Exec and
// Query send the context's tenant (internal/tenantctx) with the statement,
// which the database/sql QueryContext cannot.
func (d *DB) Driver() dialect.Driver { return d.rwDrv }

// ReadOnlyClient returns the routed read-only client (outside any
// transaction). Prefer Reader(ctx), which joins the context's transaction.
func (d *DB) ReadOnlyClient() *ent.ReadOnlyClient { return d.ro }

// Pools returns the pools under the clients.
func (d *DB) Pools() *Pools { return d.pools }

// Router returns the replica router of the read-only client.
func (d *DB) Router() *replica.Router { return d.router }

// Token resolves the read-your-writes token of the replica session in ctx
// (see replica.NewSession): the HTTP layer returns it to the client after a
// write. It is the zero Token when ctx has no session, or a session that
// neither wrote nor imported a token (replica.WithToken).
func (d *DB) Token(ctx context.Context) (replica.Token, error) { return d.router.Token(ctx) }

// QueryDurations returns the query-duration histogram (role label) the
// drivers observe; it is registered by WithRegistry.
func (d *DB) QueryDurations() *prometheus.HistogramVec { return d.hist }

func (d *DB) register(reg prometheus.Registerer) error {
	cs := []prometheus.Collector{
		d.hist,
		newPoolStatsCollector(d.pools.ReadWrite.Pgx, PoolReadWrite),
		newPoolStatsCollector(d.pools.ReadOnly.Pgx, PoolReadOnly),
	}
	for _, r := range d.pools.Replicas {
		cs = append(cs, newPoolStatsCollector(r.Pgx, r.Name))
	}
	if d.pools.Direct != nil {
		cs = append(cs, newPoolStatsCollector(d.pools.Direct.Pgx, PoolDirect))
	}
	if len(d.pools.Replicas) > 0 {
		cs = append(cs, &replicaCollector{router: d.router})
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("db: register metrics: %w", err)
		}
	}
	return nil
}

// markingDriver records every successful statement and committed
// transaction on the read-write driver with replica.MarkWrite, so the
// request's later reads avoid replicas that have not replayed it.
type markingDriver struct {
	*sqllog.Driver
}

func (m *markingDriver) Exec(ctx context.Context, query string, args, v any) error {
	err := m.Driver.Exec(ctx, query, args, v)
	if err == nil {
		replica.MarkWrite(ctx)
	}
	return err
}

func (m *markingDriver) Query(ctx context.Context, query string, args, v any) error {
	err := m.Driver.Query(ctx, query, args, v)
	if err == nil {
		replica.MarkWrite(ctx)
	}
	return err
}

func (m *markingDriver) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	res, err := m.Driver.ExecContext(ctx, query, args...)
	if err == nil {
		replica.MarkWrite(ctx)
	}
	return res, err
}

func (m *markingDriver) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	rows, err := m.Driver.QueryContext(ctx, query, args...)
	if err == nil {
		replica.MarkWrite(ctx)
	}
	return rows, err
}

func (m *markingDriver) Tx(ctx context.Context) (dialect.Tx, error) { return m.BeginTx(ctx, nil) }

func (m *markingDriver) BeginTx(ctx context.Context, opts *entsql.TxOptions) (dialect.Tx, error) {
	tx, err := m.Driver.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	if opts != nil && opts.ReadOnly {
		return tx, nil
	}
	return &markingTx{Tx: tx, ctx: ctx}, nil
}

type markingTx struct {
	dialect.Tx
	ctx context.Context
}

func (t *markingTx) Commit() error {
	err := t.Tx.Commit()
	if err == nil {
		replica.MarkWrite(t.ctx)
	}
	return err
}

// ExecContext keeps ent's sql/execquery feature (used for savepoints)
// working through the wrapper.
func (t *markingTx) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	ex, ok := t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (stdsql.Result, error)
	})
	if !ok {
		return nil, errors.New("db: transaction has no ExecContext")
	}
	return ex.ExecContext(ctx, query, args...)
}

// QueryContext is ExecContext's counterpart for rows.
func (t *markingTx) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	q, ok := t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
	})
	if !ok {
		return nil, errors.New("db: transaction has no QueryContext")
	}
	return q.QueryContext(ctx, query, args...)
}
