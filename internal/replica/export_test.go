package replica

import (
	"context"

	"entgo.io/ent/dialect"
)

// QueryRow exposes driverRow to the external tests: one row through an ent
// driver or transaction (the router included).
func QueryRow(ctx context.Context, q dialect.ExecQuerier, query string, dest ...any) error {
	return driverRow(q)(ctx, query, dest...)
}
