package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/zap"

	"github.com/central/central/ent"
)

// Retry defaults for WithTx.
const (
	DefaultMaxAttempts = 3
	DefaultBackoffBase = 10 * time.Millisecond
	DefaultBackoffMax  = 250 * time.Millisecond
)

// TxOption configures WithTx. Options only apply to the outermost call; a
// nested call is a savepoint of the outer transaction and ignores them.
type TxOption func(*txOptions)

type txOptions struct {
	isolation   sql.IsolationLevel
	maxAttempts int
	base, max   time.Duration
}

// WithIsolation sets the isolation level (default: the server's, normally
// READ COMMITTED). Serialization failures under sql.LevelSerializable are
// retried (see WithMaxAttempts).
func WithIsolation(level sql.IsolationLevel) TxOption {
	return func(o *txOptions) { o.isolation = level }
}

// WithMaxAttempts bounds how many times the transaction runs when it fails
// with a serialization failure (40001) or a deadlock (40P01); 1 disables
// retries. Default DefaultMaxAttempts. Values below 1 count as 1.
func WithMaxAttempts(n int) TxOption {
	return func(o *txOptions) { o.maxAttempts = max(n, 1) }
}

// WithBackoff sets the retry backoff: before retry k (1-based) WithTx sleeps
// a random duration in [0, min(max, base·2^(k-1))] ("full jitter"), or less
// if ctx ends; base <= 0 retries at once. Defaults DefaultBackoffBase and
// DefaultBackoffMax.
func WithBackoff(base, max time.Duration) TxOption {
	return func(o *txOptions) { o.base, o.max = base, max }
}

// IsRetryable reports whether err (anywhere in its chain) is a PostgreSQL
// serialization failure (40001) or deadlock (40P01): the transaction may
// succeed if run again from the start.
func IsRetryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// txState is what a context carries while a WithTx function runs.
type txState struct {
	db     *DB
	tx     *ent.Tx
	client *ent.Client
	conn   *pgx.Conn // the connection under tx, for WithTxConn

	mu    sync.Mutex
	ro    *ent.ReadOnlyClient // lazily built read-only view of client
	seq   int                 // savepoints taken so far
	hooks []func()
}

type txKey struct{}

func txFrom(ctx context.Context, d *DB) *txState {
	st, _ := ctx.Value(txKey{}).(*txState)
	if st == nil || st.db != d {
		return nil
	}
	return st
}

// InTx reports whether ctx carries a transaction started by WithTx.
func InTx(ctx context.Context) bool {
	st, _ := ctx.Value(txKey{}).(*txState)
	return st != nil
}

// OnCommit registers fn to run after the outermost transaction in ctx
// commits. It does not run if the transaction rolls back, nor if the savepoint
// it was registered in rolls back. Hooks run in registration order in the
// goroutine that called WithTx; a panicking hook is logged and the others
// still run. Outside a transaction fn runs at once: a write made without a
// transaction is already committed.
func OnCommit(ctx context.Context, fn func()) {
	st, _ := ctx.Value(txKey{}).(*txState)
	if st == nil {
		fn()
		return
	}
	st.mu.Lock()
	st.hooks = append(st.hooks, fn)
	st.mu.Unlock()
}

// Writer returns the client to write with: the transaction's client when ctx
// carries a transaction of d (see WithTx), else the read-write client.
func (d *DB) Writer(ctx context.Context) *ent.Client {
	if st := txFrom(ctx, d); st != nil {
		return st.client
	}
	return d.rw
}

// Reader returns the client to read with: inside a transaction, a read-only
// view of the transaction (so reads see its own writes); otherwise the
// routed read-only client (replica when fresh enough, else the read-only
// primary).
func (d *DB) Reader(ctx context.Context) *ent.ReadOnlyClient {
	if st := txFrom(ctx, d); st != nil {
		st.mu.Lock()
		defer st.mu.Unlock()
		if st.ro == nil {
			st.ro = st.client.ReadOnly()
		}
		return st.ro
	}
	return d.ro
}

// WithTx runs fn in a transaction carried by the context fn receives; every
// Writer(ctx) and Reader(ctx) call with that context uses it.
//
// Outermost call: begins a transaction on the read-write pool, commits when
// fn returns nil, rolls back when fn returns an error or panics (the panic is
// re-raised after the rollback). A serialization failure or deadlock
// (IsRetryable) from fn or from the commit reruns fn from the start, up to
// WithMaxAttempts times with jittered backoff: fn must have no effects
// outside the database, or defer them with OnCommit. After the commit,
// OnCommit hooks run and the write is marked for read-your-writes
// (replica.MarkWrite).
//
// Nested call (ctx already carries a transaction of d): runs fn inside
// SAVEPOINT sp_N; an error or panic rolls back to the savepoint only, so the
// outer work is kept and the caller decides; success releases it. Options
// are ignored and nothing is retried at this level.
func (d *DB) WithTx(ctx context.Context, fn func(ctx context.Context) error, opts ...TxOption) error {
	if st := txFrom(ctx, d); st != nil {
		return st.savepoint(ctx, fn)
	}
	o := txOptions{maxAttempts: DefaultMaxAttempts, base: DefaultBackoffBase, max: DefaultBackoffMax}
	for _, opt := range opts {
		opt(&o)
	}
	for attempt := 1; ; attempt++ {
		err := d.tracedTx(ctx, fn, &o, attempt)
		if err == nil || attempt >= o.maxAttempts || !IsRetryable(err) {
			return err
		}
		var wait time.Duration
		if o.base > 0 {
			wait = o.base << (attempt - 1)
			if wait > o.max || wait <= 0 { // wait <= 0: the shift overflowed
				wait = o.max
			}
		}
		if wait > 0 {
			wait = time.Duration(rand.Int64N(int64(wait) + 1))
		}
		d.log.Debug("retrying transaction", zap.Int("attempt", attempt+1), zap.Duration("backoff", wait), zap.Error(err))
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return errors.Join(err, fmt.Errorf("db: retry transaction: %w", ctx.Err()))
		case <-timer.C:
		}
	}
}

func (d *DB) runTx(ctx context.Context, fn func(ctx context.Context) error, o *txOptions) (err error) {
	var txo *sql.TxOptions
	if o.isolation != sql.LevelDefault {
		txo = &sql.TxOptions{Isolation: o.isolation}
	}
	holder := &connHolder{}
	tx, err := d.rw.BeginTx(context.WithValue(ctx, connHolderKey{}, holder), txo)
	if err != nil {
		return fmt.Errorf("db: begin transaction: %w", err)
	}
	st := &txState{db: d, tx: tx, client: tx.Client(), conn: holder.conn}
	txCtx := context.WithValue(ctx, txKey{}, st)

	done := false
	defer func() {
		if done {
			return
		}
		// fn panicked (or called runtime.Goexit, e.g. t.FailNow): roll back
		// either way, then let the panic continue.
		p := recover()
		_ = tx.Rollback()
		if p != nil {
			panic(p)
		}
	}()
	if err := fn(txCtx); err != nil {
		done = true
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("db: roll back: %w", rbErr))
		}
		return err
	}
	done = true
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	st.runHooks(d.log)
	return nil
}

// savepoint runs fn inside SAVEPOINT sp_N of the transaction.
func (st *txState) savepoint(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	st.mu.Lock()
	st.seq++
	name := "sp_" + strconv.Itoa(st.seq)
	mark := len(st.hooks)
	st.mu.Unlock()

	if _, err := st.client.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("db: savepoint: %w", err)
	}
	rollback := func() error {
		st.mu.Lock()
		st.hooks = st.hooks[:mark]
		st.mu.Unlock()
		if _, err := st.client.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+name); err != nil {
			return fmt.Errorf("db: roll back to savepoint: %w", err)
		}
		if _, err := st.client.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
			return fmt.Errorf("db: release savepoint: %w", err)
		}
		return nil
	}
	done := false
	defer func() {
		if done {
			return
		}
		p := recover()
		_ = rollback()
		if p != nil {
			panic(p)
		}
	}()
	if err := fn(ctx); err != nil {
		done = true
		if rbErr := rollback(); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		return err
	}
	done = true
	if _, err := st.client.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return fmt.Errorf("db: release savepoint: %w", err)
	}
	return nil
}

func (st *txState) runHooks(log *zap.Logger) {
	st.mu.Lock()
	hooks := st.hooks
	st.hooks = nil
	st.mu.Unlock()
	for _, h := range hooks {
		func() {
			defer func() {
				if p := recover(); p != nil {
					log.Error("OnCommit hook panicked after the transaction committed", zap.Any("panic", p), zap.Stack("stack"))
				}
			}()
			h()
		}()
	}
}
