package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/central/central/ent"
	"github.com/central/central/internal/db"
)

// Store is what the services need from the database: the clients for the
// transaction carried by ctx (or the plain read-only and read-write clients
// outside one) and a way to run a function in a transaction. *db.DB
// satisfies it.
type Store interface {
	Reader(ctx context.Context) *ent.ReadOnlyClient
	Writer(ctx context.Context) *ent.Client
	WithTx(ctx context.Context, fn func(ctx context.Context) error, opts ...db.TxOption) error
}

var _ Store = (*db.DB)(nil)

// Option configures a service constructor.
type Option func(*options) error

type options struct {
	now func() time.Time
}

// WithClock sets the clock that stamps audit events (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return errors.New("service: WithClock(nil): pass a clock such as time.Now")
		}
		o.now = now
		return nil
	}
}

// newBase checks the dependencies every service needs and names its
// component logger.
func newBase(component string, logger *zap.Logger, store Store, opts []Option) (base, error) {
	if logger == nil {
		return base{}, fmt.Errorf("service: new %s: logger is nil; pass a *zap.Logger (zap.NewNop() to discard)", component)
	}
	if store == nil {
		return base{}, fmt.Errorf("service: new %s: store is nil; pass the *db.DB", component)
	}
	o := options{now: time.Now}
	for _, opt := range opts {
		if opt == nil {
			return base{}, fmt.Errorf("service: new %s: nil option", component)
		}
		if err := opt(&o); err != nil {
			return base{}, err
		}
	}
	log := logger.Named(component).With(zap.String("component", component))
	return base{log: log, store: store, audit: recorder{now: o.now}}, nil
}

// base is what every service shares: its component logger, the store and
// the audit recorder.
type base struct {
	log   *zap.Logger
	store Store
	audit recorder
}

// write runs fn so that its writes and their audit rows commit together: in
// a transaction of its own, or, when ctx carries the caller's transaction, in
// a savepoint of it. The savepoint matters: a failed write (a conflict, a
// CHECK) then rolls back to it and leaves the caller's transaction usable,
// instead of aborting it (SQLSTATE 25P02) under a caller that branched on
// ErrConflict and carried on.
func (b *base) write(ctx context.Context, fn func(ctx context.Context) error) error {
	return b.store.WithTx(ctx, fn)
}
