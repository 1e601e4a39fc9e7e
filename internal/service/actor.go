package service

import "context"

type actorKey struct{}

// WithActor returns a context whose writes are audited as made by actor
// (e.g. a user's rich ID, "seed:PROD_0001" or "cli:db rekey").
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFrom returns the actor set by [WithActor], or "" when unknown.
func ActorFrom(ctx context.Context) string {
	a, _ := ctx.Value(actorKey{}).(string)
	return a
}
