package reqid

import "context"

type key struct{}

// NewContext returns a copy of ctx carrying the request id. An empty id
// returns ctx unchanged.
func NewContext(ctx context.Context, id string) context.Context {
	if id == "" {
		return ctx
	}
	return context.WithValue(ctx, key{}, id)
}

// FromContext returns the request id carried by ctx, if any.
func FromContext(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(key{}).(string)
	return id, ok
}
