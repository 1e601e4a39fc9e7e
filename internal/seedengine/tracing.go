package seedengine

import (
	"context"

	"github.com/central/central/internal/tracing"
)

// tracedApply applies s in a span "seed NAME" under the span in ctx (the
// boot step's, see registerHook); its transaction and statements are
// children. Without a span in ctx it is apply alone.
func (r *Runner[D]) tracedApply(ctx context.Context, s Seed[D]) (Applied, error) {
	ctx, span := tracing.Start(ctx, "seed "+s.Name, tracing.SeedKey.String(s.Name))
	a, err := r.apply(ctx, s)
	tracing.End(span, err)
	return a, err
}
