package replica

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	"go.uber.org/zap"
)

// Target is one streaming replica.
type Target struct {
	// Name identifies the replica in logs and [ReplicaStatus].
	Name string
	// Driver runs routed reads on the replica, typically an entsql driver
	// already wrapped with SQL logging.
	Driver dialect.Driver
	// DB polls the replica's replay position and health, typically the
	// *sql.DB underneath Driver (polls then bypass SQL logging).
	DB Querier
}

// Router is an ent [dialect.Driver] for the read-only client: it sends each
// read to a healthy replica that has replayed far enough for the context's
// token, and otherwise to the read-only primary. See the package
// documentation for the rules.
type Router struct {
	primary  dialect.Driver
	replicas []*replicaState
	log      *zap.Logger
	cfg      config
	next     atomic.Uint64 // round-robin cursor

	primaryReads atomic.Uint64 // reads routed to the primary
	retries      atomic.Uint64 // replica reads retried on the primary

	primaryWAL  walHistory // primary WAL positions seen by the watcher
	primaryDown bool       // the last primary poll failed; only pollAll uses it

	lifeMu  sync.Mutex
	started bool
	cancel  context.CancelFunc
	done    chan struct{}
}

var _ dialect.Driver = (*Router)(nil)

// NewRouter returns a Router reading from primary (a driver whose sessions
// are read-only, e.g. role central_ro with default_transaction_read_only=on)
// and from replicas. Without replicas every read goes to primary. Call
// [Router.Start] to begin health polling: until the first poll, replicas get
// no reads.
func NewRouter(primary dialect.Driver, replicas []Target, logger *zap.Logger, opts ...Option) (*Router, error) {
	if primary == nil {
		return nil, errors.New("replica: primary driver is nil: pass the read-only primary driver")
	}
	if logger == nil {
		return nil, errors.New("replica: logger is nil: pass a *zap.Logger (zap.NewNop() to discard)")
	}
	cfg := defaultConfig()
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("replica: option is nil")
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	r := &Router{primary: primary, log: logger, cfg: cfg}
	seen := make(map[string]bool, len(replicas))
	for i, t := range replicas {
		switch {
		case t.Name == "":
			return nil, fmt.Errorf("replica: replica %d has no name: set Target.Name", i)
		case seen[t.Name]:
			return nil, fmt.Errorf("replica: replica name %q is used twice: names must be unique", t.Name)
		case t.Driver == nil:
			return nil, fmt.Errorf("replica: replica %q has a nil Driver", t.Name)
		case t.DB == nil:
			return nil, fmt.Errorf("replica: replica %q has a nil DB: pass the *sql.DB used to poll its replay position", t.Name)
		}
		seen[t.Name] = true
		r.replicas = append(r.replicas, &replicaState{
			name: t.Name,
			drv:  t.Driver,
			q:    t.DB,
			log:  logger.With(zap.String("replica", t.Name)),
		})
	}
	return r, nil
}

// Dialect returns the primary driver's dialect.
func (r *Router) Dialect() string { return r.primary.Dialect() }

// Query runs a read on the target chosen by the routing rules. When a
// replica fails with a connection error or a recovery conflict before
// returning rows, the read is retried once on the primary (unless
// [WithoutPrimaryRetry]); a connection error also takes the replica out of
// rotation until the watcher sees it healthy again.
func (r *Router) Query(ctx context.Context, query string, args, v any) error {
	rs := r.pick(ctx)
	if rs == nil {
		r.primaryReads.Add(1)
		return r.primary.Query(ctx, query, args, v)
	}
	rs.reads.Add(1)
	err := rs.drv.Query(ctx, query, args, v)
	if err == nil || !r.retryable(ctx, rs, err) {
		return err
	}
	return r.primary.Query(ctx, query, args, v)
}

// QueryContext is [Router.Query] for drivers that expose database/sql rows
// (ent's sql/execquery feature uses it).
func (r *Router) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	type queryContexter interface {
		QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
	}
	primary, ok := r.primary.(queryContexter)
	if !ok {
		return nil, fmt.Errorf("replica: primary driver %T does not support QueryContext", r.primary)
	}
	if rs := r.pick(ctx); rs != nil {
		if drv, ok := rs.drv.(queryContexter); ok {
			rs.reads.Add(1)
			rows, err := drv.QueryContext(ctx, query, args...)
			if err == nil || !r.retryable(ctx, rs, err) {
				return rows, err
			}
			return primary.QueryContext(ctx, query, args...)
		}
	}
	r.primaryReads.Add(1)
	return primary.QueryContext(ctx, query, args...)
}

// Exec always runs on the primary driver, whose read-only sessions make
// PostgreSQL refuse any write. The router never sends Exec to a replica.
func (r *Router) Exec(ctx context.Context, query string, args, v any) error {
	return r.primary.Exec(ctx, query, args, v)
}

// ExecContext is [Router.Exec] for drivers that expose database/sql results.
func (r *Router) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	drv, ok := r.primary.(interface {
		ExecContext(context.Context, string, ...any) (stdsql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("replica: primary driver %T does not support ExecContext", r.primary)
	}
	return drv.ExecContext(ctx, query, args...)
}

// Tx starts a read-only transaction on the target chosen by the routing
// rules; every statement of the transaction runs there.
func (r *Router) Tx(ctx context.Context) (dialect.Tx, error) {
	return r.BeginTx(ctx, nil)
}

// BeginTx is [Router.Tx] with options (ent's client.BeginTx uses it). The
// transaction is always started READ ONLY when the target driver supports
// options, whatever opts says. Serializable transactions go to the primary:
// a hot standby refuses them.
func (r *Router) BeginTx(ctx context.Context, opts *stdsql.TxOptions) (dialect.Tx, error) {
	ro := stdsql.TxOptions{ReadOnly: true}
	if opts != nil {
		ro.Isolation = opts.Isolation
	}
	if ro.Isolation == stdsql.LevelSerializable {
		r.primaryReads.Add(1)
		return beginTx(ctx, r.primary, &ro)
	}
	if rs := r.pick(ctx); rs != nil {
		rs.reads.Add(1)
		tx, err := beginTx(ctx, rs.drv, &ro)
		if err == nil || !r.retryable(ctx, rs, err) {
			return tx, err
		}
		return beginTx(ctx, r.primary, &ro)
	}
	r.primaryReads.Add(1)
	return beginTx(ctx, r.primary, &ro)
}

func beginTx(ctx context.Context, drv dialect.Driver, opts *stdsql.TxOptions) (dialect.Tx, error) {
	if b, ok := drv.(interface {
		BeginTx(context.Context, *stdsql.TxOptions) (dialect.Tx, error)
	}); ok {
		return b.BeginTx(ctx, opts)
	}
	return drv.Tx(ctx)
}

// Close stops the watcher and closes the primary and every replica driver.
func (r *Router) Close() error {
	stopErr := r.Stop(context.Background())
	errs := []error{stopErr}
	if err := r.primary.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close primary: %w", err))
	}
	for _, rs := range r.replicas {
		if err := rs.drv.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close replica %q: %w", rs.name, err))
		}
	}
	return errors.Join(errs...)
}

// pick returns the replica a read in ctx should use, or nil for the primary.
func (r *Router) pick(ctx context.Context) *replicaState {
	if len(r.replicas) == 0 {
		return nil
	}
	var need Token
	if s, ok := FromContext(ctx); ok {
		var dirty bool
		if need, dirty = s.requirement(); dirty {
			return nil
		}
	}
	// Round robin over the eligible replicas only, so that an excluded
	// replica's share is spread evenly rather than landing on its neighbour.
	var buf [8]*replicaState
	eligible := buf[:0]
	for _, rs := range r.replicas {
		if rs.healthy.Load() && Token(rs.replay.Load()) >= need {
			eligible = append(eligible, rs)
		}
	}
	if len(eligible) > 0 {
		return eligible[r.next.Add(1)%uint64(len(eligible))]
	}
	if need.IsZero() || r.cfg.maxWait <= 0 {
		return nil
	}
	return r.waitFor(ctx, need)
}

// waitFor re-polls the healthy replicas until one has replayed need, for at
// most the configured max wait. Concurrent waiters share polls: a replica is
// asked at most once per waitPollEvery, the others use the cached answer.
func (r *Router) waitFor(ctx context.Context, need Token) *replicaState {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.maxWait)
	defer cancel()
	timer := time.NewTimer(waitPollEvery)
	defer timer.Stop()
	for {
		healthy := false
		for _, rs := range r.replicas {
			if !rs.healthy.Load() {
				continue
			}
			healthy = true
			if Token(rs.replay.Load()) < need && rs.claimWaitPoll(time.Now()) {
				if lsn, err := queryLSN(ctx, querierRow(rs.q), replayLSNQuery); err == nil {
					rs.observeReplay(lsn)
				}
			}
			if Token(rs.replay.Load()) >= need && rs.healthy.Load() {
				return rs
			}
		}
		if !healthy {
			return nil // nothing to wait for: the primary serves the read now
		}
		timer.Reset(waitPollEvery)
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
	}
}

// waitPollEvery is how often waiting reads may poll one replica, together.
const waitPollEvery = 2 * time.Millisecond

// retryable reports whether a failed read on rs may be retried on the
// primary, taking rs out of rotation on connection errors.
func (r *Router) retryable(ctx context.Context, rs *replicaState, err error) bool {
	if r.cfg.noRetry || ctx.Err() != nil {
		return false
	}
	switch classify(err) {
	case failConn:
		rs.markDown(err)
	case failConflict:
		rs.log.Debug("replica read canceled by a recovery conflict; retrying on the primary", zap.Error(err))
	default:
		return false
	}
	r.retries.Add(1)
	return true
}

// Stats counts routing decisions since the router was created.
type Stats struct {
	// PrimaryReads counts reads (queries and transactions) routed to the primary.
	PrimaryReads uint64
	// ReplicaReads counts reads routed to each replica, by name (including
	// those then retried on the primary).
	ReplicaReads map[string]uint64
	// Retries counts replica reads that failed and were retried on the primary.
	Retries uint64
}

// Stats returns the routing counters, e.g. for metrics.
func (r *Router) Stats() Stats {
	st := Stats{
		PrimaryReads: r.primaryReads.Load(),
		Retries:      r.retries.Load(),
		ReplicaReads: make(map[string]uint64, len(r.replicas)),
	}
	for _, rs := range r.replicas {
		st.ReplicaReads[rs.name] = rs.reads.Load()
	}
	return st
}
