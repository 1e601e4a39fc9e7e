package gosteps

import (
	"context"
	"errors"

	"go.uber.org/zap"

	"github.com/central/central/internal/db"
	"github.com/central/central/internal/migrate"
	"github.com/central/central/internal/service"
)

// Deps is what the app's Go steps receive. The ctx a step gets carries its
// transaction: the services and DB.Writer(ctx) join it.
type Deps struct {
	Services *service.Services
	DB       *db.DB
	Log      *zap.Logger
}

// Step is one of the app's Go data migrations; exactly one of Run and
// Batch is set (see migrate.GoStep).
type Step struct {
	Version string // the version of the SQL file it follows
	Name    string
	Run     func(ctx context.Context, d Deps) error
	Batch   func(ctx context.Context, d Deps, cursor string) (next string, rows int64, done bool, err error)
}

// Steps is the table of the app's Go steps, one entry per step.
func Steps() []Step {
	return []Step{
		{Version: "20261201010516", Name: "backfill_profile_locale", Batch: BackfillProfileLocale(DefaultLocale, 1000)},
	}
}

// Bind gives each step its dependencies, for migrate.WithGoSteps.
func Bind(steps []Step, d Deps) []migrate.GoStep {
	out := make([]migrate.GoStep, len(steps))
	for i, s := range steps {
		out[i] = migrate.GoStep{Version: s.Version, Name: s.Name}
		if s.Run != nil {
			out[i].Run = func(ctx context.Context) error { return s.Run(ctx, d) }
		}
		if s.Batch != nil {
			out[i].Batch = func(ctx context.Context, cursor string) (string, int64, bool, error) {
				return s.Batch(ctx, d, cursor)
			}
		}
	}
	return out
}

// StepTx opens each step's transaction on the app's *db.DB (no retries: a
// step runs once per attempt), with its read-write client as the
// runner's Querier.
func StepTx(d *db.DB) (migrate.StepTx, error) {
	if d == nil {
		return nil, errors.New("gosteps: StepTx: *db.DB is nil")
	}
	// The migration lock holds a session of Pools.DirectDB while each
	// step's transaction needs one of the read-write pool. Without a
	// transaction pooler they are the same pool, which must then allow 2:
	// with 1 it would wait on itself. Behind one, the lock is on the
	// direct pool and the read-write pool may have 1.
	if pools := d.Pools(); pools.Direct == nil && pools.ReadWrite.Stats().MaxOpenConnections == 1 {
		return nil, errors.New("gosteps: the read-write pool allows 1 connection; Go data migrations need 2 (one holds the migration lock): raise the read-write pool size")
	}
	return func(ctx context.Context, fn func(ctx context.Context, q migrate.Querier) error) error {
		return d.WithTx(ctx, func(ctx context.Context) error { return fn(ctx, d.Writer(ctx)) }, db.WithMaxAttempts(1))
	}, nil
}
