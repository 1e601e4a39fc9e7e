package db_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/central/central/internal/db"
	"github.com/central/central/internal/entityid"
)

// TestWithTxConnCopyJoinsTheTransaction copies rows with pgx's COPY through
// the connection of a WithTx transaction: they commit with it, and vanish
// when it rolls back.
func TestWithTxConnCopyJoinsTheTransaction(t *testing.T) {
	d, _, _ := open(t)
	ctx := ctxT(t)
	copyTenants := func(ctx context.Context, prefix string, n int) error {
		return d.WithTxConn(ctx, func(conn *pgx.Conn) error {
			rows := make([][]any, n)
			for i := range rows {
				rows[i] = []any{entityid.NewTenantID(), prefix + string(rune('a'+i)), "Copied"}
			}
			_, err := conn.CopyFrom(ctx, pgx.Identifier{"tenants"}, []string{"id", "slug", "display_name"}, pgx.CopyFromRows(rows))
			return err
		})
	}
	count := func() int {
		n, err := d.Writer(ctx).Tenant.Query().Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	if err := d.WithTx(ctx, func(ctx context.Context) error {
		if err := copyTenants(ctx, "kept-", 3); err != nil {
			return err
		}
		// Reads through the transaction's client see the copied rows.
		if n, err := d.Reader(ctx).Tenant.Count(ctx); err != nil || n != 3 {
			t.Errorf("inside the transaction: %d tenants, %v", n, err)
		}
		return nil
	}); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if n := count(); n != 3 {
		t.Fatalf("%d tenants after commit, want 3", n)
	}

	boom := errors.New("boom")
	err := d.WithTx(ctx, func(ctx context.Context) error {
		if err := copyTenants(ctx, "gone-", 4); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("rollback: %v", err)
	}
	if n := count(); n != 3 {
		t.Errorf("%d tenants after rollback, want 3: COPY escaped the transaction", n)
	}

	if err := d.WithTxConn(ctx, func(*pgx.Conn) error { return nil }); !errors.Is(err, db.ErrNoTx) {
		t.Errorf("outside a transaction: %v, want ErrNoTx", err)
	}
}
