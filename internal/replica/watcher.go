package replica

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	"go.uber.org/zap"
)

// ReplicaStatus is the watcher's latest view of one replica.
type ReplicaStatus struct {
	Name string
	// Healthy reports whether the replica currently gets reads.
	Healthy bool
	// ReplayLSN is the last WAL position the replica is known to have replayed.
	ReplayLSN Token
	// LagBytes is how many WAL bytes the replica trailed the primary by at the
	// last poll (0 when caught up or when the primary position is unknown).
	LagBytes uint64
	// Lag is how long the replica has been missing WAL the primary had: a
	// lower bound with the poll interval as resolution, 0 when caught up. An
	// idle primary does not make it grow.
	Lag time.Duration
	// LastErr is why the replica is unhealthy (nil when healthy).
	LastErr error
	// CheckedAt is when the replica was last polled (zero before the first poll).
	CheckedAt time.Time
}

// ErrNotPolled is the LastErr of a replica the watcher has not polled yet.
var ErrNotPolled = errors.New("replica: not polled yet: call Router.Start")

// ErrNotInRecovery is the LastErr of a server that is not a streaming replica
// (pg_is_in_recovery() is false), e.g. after it was promoted.
var ErrNotInRecovery = errors.New("replica: server is not in recovery: it is not a streaming replica (promoted?)")

// LagError is the LastErr of a replica that trails the primary by more than
// the configured maximum.
type LagError struct {
	Lag, MaxLag time.Duration
	LagBytes    uint64
}

func (e *LagError) Error() string {
	return fmt.Sprintf("replica: lag %v (%d bytes) exceeds max lag %v", e.Lag, e.LagBytes, e.MaxLag)
}

type replicaState struct {
	name string
	drv  dialect.Driver
	q    Querier
	log  *zap.Logger

	healthy atomic.Bool
	replay  atomic.Uint64 // highest replay LSN seen
	reads   atomic.Uint64 // reads routed here

	lastWaitPoll atomic.Int64 // unix nanos of the last poll by a waiting read

	mu     sync.Mutex
	status ReplicaStatus
	polled bool
}

// observeReplay raises the cached replay position to lsn.
func (rs *replicaState) observeReplay(lsn Token) {
	for {
		old := rs.replay.Load()
		if uint64(lsn) <= old || rs.replay.CompareAndSwap(old, uint64(lsn)) {
			return
		}
	}
}

// claimWaitPoll reports whether a waiting read may poll the replica now,
// claiming the slot if so.
func (rs *replicaState) claimWaitPoll(now time.Time) bool {
	last := rs.lastWaitPoll.Load()
	if now.UnixNano()-last < int64(waitPollEvery) {
		return false
	}
	return rs.lastWaitPoll.CompareAndSwap(last, now.UnixNano())
}

// markDown takes the replica out of rotation after a failed read.
func (rs *replicaState) markDown(err error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.healthy.CompareAndSwap(true, false) {
		rs.status.Healthy = false
		rs.status.LastErr = err
		rs.log.Warn("replica excluded from reads: a read failed with a connection error; retrying it on the primary", zap.Error(err))
	}
}

// setStatus records a poll result and logs health transitions.
func (rs *replicaState) setStatus(st ReplicaStatus) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	was, first := rs.healthy.Load(), !rs.polled
	rs.status, rs.polled = st, true
	if st.LastErr == nil || errors.As(st.LastErr, new(*LagError)) {
		// The replica answered: its position is authoritative, even if lower
		// than the cache (a re-cloned replica must not satisfy old tokens).
		rs.replay.Store(uint64(st.ReplayLSN))
	}
	rs.healthy.Store(st.Healthy)
	switch {
	case st.Healthy && !was:
		rs.log.Info("replica takes reads", zap.Stringer("replay_lsn", st.ReplayLSN),
			zap.Uint64("lag_bytes", st.LagBytes), zap.Duration("lag", st.Lag))
	case !st.Healthy && (was || first):
		rs.log.Warn("replica excluded from reads", zap.Error(st.LastErr),
			zap.Stringer("replay_lsn", st.ReplayLSN), zap.Uint64("lag_bytes", st.LagBytes), zap.Duration("lag", st.Lag))
	}
}

func (rs *replicaState) snapshot() ReplicaStatus {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	st := rs.status
	st.Name = rs.name
	st.Healthy = rs.healthy.Load()
	if !rs.polled {
		st.LastErr = ErrNotPolled
	}
	return st
}

// Status returns the latest view of every replica, in the order given to
// [NewRouter]. It does no I/O.
func (r *Router) Status() []ReplicaStatus {
	out := make([]ReplicaStatus, len(r.replicas))
	for i, rs := range r.replicas {
		out[i] = rs.snapshot()
	}
	return out
}

// Token resolves the token of the session in ctx through the primary (see
// [Session.Token]). It returns the zero Token when ctx carries no session.
func (r *Router) Token(ctx context.Context) (Token, error) {
	s, ok := FromContext(ctx)
	if !ok {
		return 0, nil
	}
	return s.resolve(ctx, r.primaryRow())
}

func (r *Router) primaryRow() rowFunc {
	if r.cfg.primaryQ != nil {
		return querierRow(r.cfg.primaryQ)
	}
	return driverRow(r.primary)
}

// Start checks that the primary driver is read-only, polls every replica once
// and starts the background watcher. Replicas that are unreachable at start
// are logged and excluded, not an error. It fails if the primary cannot be
// queried or is not read-only, or if the router was started before.
func (r *Router) Start(ctx context.Context) error {
	r.lifeMu.Lock()
	defer r.lifeMu.Unlock()
	if r.started {
		return errors.New("replica: router already started")
	}
	if err := r.checkPrimaryReadOnly(ctx); err != nil {
		return err
	}
	r.started = true
	if len(r.replicas) == 0 {
		return nil
	}
	r.pollAll(ctx)
	wctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	go r.watch(wctx, r.done)
	return nil
}

// Stop stops the background watcher and waits for it to exit or for ctx to
// end. Reads keep working with the last known replica state. Stop is safe to
// call more than once and without Start.
func (r *Router) Stop(ctx context.Context) error {
	r.lifeMu.Lock()
	cancel, done := r.cancel, r.done
	r.cancel = nil
	r.lifeMu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("replica: stop watcher: %w", ctx.Err())
	}
}

func (r *Router) checkPrimaryReadOnly(ctx context.Context) error {
	var ro string
	err := driverRow(r.primary)(ctx, "SELECT current_setting('transaction_read_only')", &ro)
	if err != nil {
		return fmt.Errorf("replica: check that the primary driver is read-only: %w", err)
	}
	if ro != "on" {
		return errors.New("replica: the primary driver is not read-only (transaction_read_only is off): " +
			"connect it with a role or URL that sets default_transaction_read_only=on")
	}
	return nil
}

func (r *Router) watch(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(r.cfg.pollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.pollAll(ctx)
		}
	}
}

// pollAll polls the primary, then every replica concurrently.
func (r *Router) pollAll(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, r.cfg.pollTimeout)
	lsn, err := queryLSN(pctx, r.primaryRow(), "SELECT pg_current_wal_lsn()::text")
	cancel()
	switch {
	case err != nil && ctx.Err() != nil:
		return // stopping
	case err != nil:
		if !r.primaryDown {
			r.log.Warn("cannot poll the primary WAL position; replica lag is measured against the last known one", zap.Error(err))
		}
		r.primaryDown = true
	default:
		if r.primaryDown {
			r.log.Info("polling the primary WAL position again")
		}
		r.primaryDown = false
		r.primaryWAL.add(lsn, r.cfg.now(), r.cfg.maxLag+2*r.cfg.pollInterval)
	}
	var wg sync.WaitGroup
	for _, rs := range r.replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.pollReplica(ctx, rs)
		}()
	}
	wg.Wait()
}

const replayLSNQuery = "SELECT pg_last_wal_replay_lsn()::text"

func (r *Router) pollReplica(ctx context.Context, rs *replicaState) {
	pctx, cancel := context.WithTimeout(ctx, r.cfg.pollTimeout)
	defer cancel()
	var (
		inRecovery bool
		replay     sql.NullString
	)
	err := rs.q.QueryRowContext(pctx, "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text").Scan(&inRecovery, &replay)
	if ctx.Err() != nil {
		return // stopping: keep the last state
	}
	st := ReplicaStatus{Name: rs.name, CheckedAt: r.cfg.now()}
	switch {
	case err != nil:
		st.LastErr = fmt.Errorf("poll replica %q: %w", rs.name, err)
	case !inRecovery || !replay.Valid:
		st.LastErr = ErrNotInRecovery
	default:
		if st.ReplayLSN, err = ParseToken(replay.String); err != nil {
			st.LastErr = fmt.Errorf("poll replica %q: %w", rs.name, err)
			break
		}
		st.LagBytes, st.Lag = r.primaryWAL.lag(st.ReplayLSN, st.CheckedAt)
		if st.Lag > r.cfg.maxLag {
			st.LastErr = &LagError{Lag: st.Lag, MaxLag: r.cfg.maxLag, LagBytes: st.LagBytes}
		}
	}
	if st.LastErr == nil {
		st.Healthy = true
	} else if st.ReplayLSN.IsZero() {
		st.ReplayLSN = Token(rs.replay.Load()) // last known position, for Status
	}
	rs.setStatus(st)
}

// walHistory remembers when the watcher first saw the primary at each WAL
// position, so lag can be measured as "how long has the primary had WAL the
// replica lacks", which stays 0 while the primary is idle (unlike
// now() - pg_last_xact_replay_timestamp()).
type walHistory struct {
	mu      sync.Mutex
	samples []walSample // strictly increasing lsn, increasing at
}

type walSample struct {
	lsn Token
	at  time.Time
}

const maxWALSamples = 4096

// add records that the primary was at lsn at time at, dropping samples that
// are no longer needed to measure lags up to keep.
func (h *walHistory) add(lsn Token, at time.Time, keep time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := len(h.samples); n > 0 {
		if last := h.samples[n-1]; lsn == last.lsn {
			return
		} else if lsn < last.lsn {
			h.samples = h.samples[:0] // a different primary (failover): start over
		}
	}
	h.samples = append(h.samples, walSample{lsn: lsn, at: at})
	// The oldest sample stays as a floor as long as the next one is recent.
	cut := 0
	for cut < len(h.samples)-1 && (h.samples[cut+1].at.Before(at.Add(-keep)) || len(h.samples)-cut > maxWALSamples) {
		cut++
	}
	if cut > 0 {
		h.samples = append(h.samples[:0], h.samples[cut:]...)
	}
}

// lag returns how far replay trails the latest known primary position, in
// bytes and as a lower bound on time.
func (h *walHistory) lag(replay Token, now time.Time) (uint64, time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := len(h.samples)
	if n == 0 || replay >= h.samples[n-1].lsn {
		return 0, 0
	}
	bytes := uint64(h.samples[n-1].lsn - replay)
	i := sort.Search(n, func(i int) bool { return h.samples[i].lsn > replay })
	return bytes, max(now.Sub(h.samples[i].at), 0)
}
