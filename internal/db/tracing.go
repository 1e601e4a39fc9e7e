package db

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/trace"

	"github.com/central/central/internal/tracing"
)

// PoolsOption configures NewPools.
type PoolsOption func(*Pools)

// WithPoolTracing gives every statement on the pools a span (see
// internal/tracing) carrying the pool's role: read-write, read-only,
// replica-N or direct. With tracing off (tp is the no-op provider) the pools
// get no tracer at all.
func WithPoolTracing(tp trace.TracerProvider) PoolsOption {
	return func(p *Pools) {
		if tracing.Enabled(tp) {
			p.tracer = func(role string) pgx.QueryTracer { return tracing.PgxTracer(tp, role) }
		}
	}
}

// PoolRole is the db.pool.role attribute of a pool's statement spans.
func PoolRole(pool string) string {
	switch pool {
	case PoolReadWrite:
		return "read-write"
	case PoolReadOnly:
		return "read-only"
	}
	return pool // replica-N, direct
}

func (p *Pools) traceStatements(name string, pc *pgxpool.Config) {
	if p.tracer == nil {
		return
	}
	t := p.tracer(PoolRole(name))
	if prev := pc.ConnConfig.Tracer; prev != nil {
		t = multitracer.New(prev, t) // keep a tracer set elsewhere
	}
	pc.ConnConfig.Tracer = t
}

// tracedTx runs one attempt of an outermost transaction in a span, parent
// of the transaction's statements (BEGIN and COMMIT included).
func (d *DB) tracedTx(ctx context.Context, fn func(ctx context.Context) error, o *txOptions, attempt int) error {
	ctx, span := tracing.Start(ctx, "db.transaction", tracing.AttemptKey.Int(attempt))
	if o.isolation != 0 && span.IsRecording() {
		span.SetAttributes(tracing.IsolationKey.String(strings.ToLower(o.isolation.String())))
	}
	err := d.runTx(ctx, fn, o)
	tracing.End(span, err)
	return err
}
