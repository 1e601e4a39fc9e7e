package db_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/central/central/ent"
	"github.com/central/central/ent/tenant"
)

// TestReadOnlyPoolRefusesWrites bypasses the ReadOnlyClient type and writes
// through the read-only pool with raw SQL: PostgreSQL itself refuses, first
// because the session is read-only, then, with that switched off, because
// the role has no write grant.
func TestReadOnlyPoolRefusesWrites(t *testing.T) {
	d, _, _ := migrated(t)
	ctx := ctxT(t)
	tests := []struct {
		name     string
		setup    string
		stmt     string
		wantCode string
	}{
		{"insert", "", "INSERT INTO tenants (id, slug, display_name) VALUES (gen_random_uuid(), 'acme', 'Acme')", "25006"}, // read_only_sql_transaction
		{"update", "", "UPDATE tenants SET display_name = 'x'", "25006"},
		{"ddl", "", "CREATE TABLE evil (id int)", "25006"},
		{"insert with read-only off", "SET default_transaction_read_only = off", "INSERT INTO tenants (id, slug, display_name) VALUES (gen_random_uuid(), 'acme', 'Acme')", "42501"}, // insufficient_privilege
		{"delete with read-only off", "SET default_transaction_read_only = off", "DELETE FROM tenants", "42501"},
		{"ddl with read-only off", "SET default_transaction_read_only = off", "CREATE TABLE evil (id int)", "42501"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := d.Pools().ReadOnly.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				_, _ = conn.ExecContext(ctx, "RESET default_transaction_read_only")
				conn.Close()
			}()
			if tt.setup != "" {
				if _, err := conn.ExecContext(ctx, tt.setup); err != nil {
					t.Fatal(err)
				}
			}
			_, err = conn.ExecContext(ctx, tt.stmt)
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != tt.wantCode {
				t.Fatalf("err = %v, want SQLSTATE %s", err, tt.wantCode)
			}
		})
	}
	// The same write through the read-write pool works: the refusals above
	// are about the read-only side, not the statement.
	if _, err := d.Pools().ReadWrite.ExecContext(ctx, tests[0].stmt); err != nil {
		t.Fatalf("read-write insert: %v", err)
	}
}

func TestReadOnlyClientRefusesSave(t *testing.T) {
	d, _, _ := migrated(t)
	ctx := ctxT(t)
	created, err := d.Writer(ctx).Tenant.Create().SetSlug("acme").SetDisplayName("Acme").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := d.Reader(ctx).Tenant.Get(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loaded.Update().SetDisplayName("Evil").Save(ctx); !errors.Is(err, ent.ErrReadOnly) {
		t.Fatalf("update of an entity loaded read-only: err = %v, want ent.ErrReadOnly", err)
	}
}

func TestReaderInTransactionSeesItsWrites(t *testing.T) {
	d, _, _ := migrated(t)
	ctx := ctxT(t)
	errRollback := errors.New("roll back")
	err := d.WithTx(ctx, func(ctx context.Context) error {
		created, err := d.Writer(ctx).Tenant.Create().SetSlug("technova").SetDisplayName("TechNova Global").Save(ctx)
		if err != nil {
			return err
		}
		got, err := d.Reader(ctx).Tenant.Get(ctx, created.ID)
		if err != nil {
			t.Errorf("reader in tx: %v", err)
		} else if got.DisplayName != "TechNova Global" {
			t.Errorf("reader in tx got %q", got.DisplayName)
		}
		// Outside the transaction the write is not visible yet.
		n, err := d.ReadOnlyClient().Tenant.Query().Where(tenant.Slug("technova")).Count(context.Background())
		if err != nil || n != 0 {
			t.Errorf("outside the tx: n=%d err=%v, want 0", n, err)
		}
		// A Tx-style method nests as a savepoint and sees the outer write.
		if err := d.WithTx(ctx, func(ctx context.Context) error {
			n, err := d.Reader(ctx).Tenant.Query().Count(ctx)
			if err != nil || n != 1 {
				t.Errorf("nested reader: n=%d err=%v, want 1", n, err)
			}
			_, err = d.Writer(ctx).Tenant.Create().SetSlug("second").SetDisplayName("Second").Save(ctx)
			return err
		}); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("err = %v", err)
	}
	n, err := d.Reader(ctx).Tenant.Query().Count(ctx)
	if err != nil || n != 0 {
		t.Fatalf("after rollback: n=%d err=%v, want 0 (three calls composed, all rolled back)", n, err)
	}
}
