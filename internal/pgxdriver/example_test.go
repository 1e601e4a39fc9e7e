package pgxdriver_test

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/central/central/ent"
	"github.com/central/central/internal/pgxdriver"
)

// An ent client over a pgxpool, without database/sql. The app builds its
// clients this way in internal/db, under SQL logging and replica routing.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://central@127.0.0.1:5432/central")
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	client := ent.NewClient(ent.Driver(pgxdriver.New(pool)))
	_ = client // client.Tenant.Query().All(ctx), client.Tx(ctx), ...
}
