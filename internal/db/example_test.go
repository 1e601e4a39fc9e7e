package db_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/central/central/ent"
	"github.com/central/central/internal/db"
)

// A service method that owns its transaction (Tx prefix). Called on its own
// it commits; called inside a caller's WithTx it becomes a savepoint.
func ExampleDB_WithTx() {
	var d *db.DB // from db.Module or db.Open
	txCreateTenant := func(ctx context.Context, slug, name string) (t *ent.Tenant, err error) {
		err = d.WithTx(ctx, func(ctx context.Context) error {
			t, err = d.Writer(ctx).Tenant.Create().SetSlug(slug).SetDisplayName(name).Save(ctx)
			if err != nil {
				return fmt.Errorf("create tenant %s: %w", slug, err)
			}
			db.OnCommit(ctx, func() { fmt.Println("created", t.ID) }) // only once committed
			return nil
		})
		return t, err
	}

	// Two calls composed atomically by the caller: both or neither.
	_ = d.WithTx(context.Background(), func(ctx context.Context) error {
		if _, err := txCreateTenant(ctx, "technova", "TechNova Global"); err != nil {
			return err
		}
		_, err := txCreateTenant(ctx, "acme", "Acme")
		return err
	})
}

func ExampleIsRetryable() {
	serialization := fmt.Errorf("create tenant: %w", &pgconn.PgError{Code: "40001"})
	unique := fmt.Errorf("create tenant: %w", &pgconn.PgError{Code: "23505"})
	fmt.Println(db.IsRetryable(serialization), db.IsRetryable(unique), db.IsRetryable(errors.New("x")))
	// Output: true false false
}
