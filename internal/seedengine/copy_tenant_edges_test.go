package seedengine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/seedengine"
	"github.com/central/central/internal/tenantctx"
)

// TestCopyTenantRefusals: a COPY into a tenant-owned table fails the seed,
// saying why, when PostgreSQL (or the source) refuses it: no tenant in ctx
// (row-level security refuses COPY: ErrCopyNeedsTenant), a table that does
// not exist (with and without a tenant), a source that fails, a row of
// another tenant (the policy's WITH CHECK). After a successful copy the
// tenant setting is cleared for the rest of the seed. All real server
// behaviour, no fault injection.
//
// Mutants: copyError returning nil or its RLS test negated / made || (any
// server error, or a client-side one, then blamed on a missing tenant),
// its plain `return err` swallowed; copyTenant's staging-table, COPY and
// INSERT errors swallowed; clearTenant returning at once (later statements
// of the seed stay scoped to the copied tenant).
func TestCopyTenantRefusals(t *testing.T) {
	db := newTxDB(t, newTestDB(t))
	if _, err := db.pool.Exec(`CREATE TABLE plain_copy (id int)`); err != nil { // no row-level security
		t.Fatal(err)
	}
	errSource := errors.New("source broke")
	tests := []struct {
		name   string
		copyFn func(ctx context.Context, a, b entityid.TenantID) error
		want   string
		is     error
		not    error // must not be reported as this
	}{
		{"no tenant", func(ctx context.Context, a, _ entityid.TenantID) error {
			_, err := seedengine.CopyFrom(ctx, pgx.Identifier{"users"}, []string{"id", "tenant_id", "email", "display_name"},
				pgx.CopyFromRows([][]any{{entityid.NewUserID().UUID(), a.UUID(), "x@a.example", "X"}}))
			return err
		}, "needs its tenant", seedengine.ErrCopyNeedsTenant, nil},
		{"no such table, no tenant", func(ctx context.Context, _, _ entityid.TenantID) error {
			_, err := seedengine.CopyFrom(ctx, pgx.Identifier{"no_such_table"}, []string{"id"}, pgx.CopyFromRows([][]any{{1}}))
			return err
		}, `relation "no_such_table" does not exist`, nil, seedengine.ErrCopyNeedsTenant},
		{"value that does not encode, no tenant", func(ctx context.Context, _, _ entityid.TenantID) error {
			_, err := seedengine.CopyFrom(ctx, pgx.Identifier{"plain_copy"}, []string{"id"}, pgx.CopyFromRows([][]any{{make(chan int)}}))
			return err
		}, "chan int", nil, seedengine.ErrCopyNeedsTenant}, // a client-side encode error, not a PgError
		{"context ended during the copy (not a server error)", func(ctx context.Context, _, _ entityid.TenantID) error {
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			n := 0
			_, err := seedengine.CopyFrom(cctx, pgx.Identifier{"plain_copy"}, []string{"id"}, pgx.CopyFromFunc(func() ([]any, error) {
				if n++; n == 2 {
					cancel()
				}
				if n > 100000 {
					return nil, nil
				}
				return []any{n}, nil
			}))
			return err
		}, "context canceled", nil, seedengine.ErrCopyNeedsTenant},
		{"no such table, with a tenant", func(ctx context.Context, a, _ entityid.TenantID) error {
			_, err := seedengine.CopyFrom(tenantctx.With(ctx, a), pgx.Identifier{"no_such_table"}, []string{"id"}, pgx.CopyFromRows([][]any{{1}}))
			return err
		}, "create staging table", nil, nil},
		{"failing source", func(ctx context.Context, a, _ entityid.TenantID) error {
			_, err := seedengine.CopyFrom(tenantctx.With(ctx, a), pgx.Identifier{"users"}, []string{"id", "tenant_id", "email", "display_name"},
				pgx.CopyFromFunc(func() ([]any, error) { return nil, errSource }))
			return err
		}, "source broke", nil, nil}, // pgx reports it as the server's COPY failure, by message
		{"row of another tenant", func(ctx context.Context, a, b entityid.TenantID) error {
			_, err := seedengine.CopyFrom(tenantctx.With(ctx, a), pgx.Identifier{"users"}, []string{"id", "tenant_id", "email", "display_name"},
				pgx.CopyFromRows([][]any{{entityid.NewUserID().UUID(), b.UUID(), "x@b.example", "X"}}))
			return err
		}, "row-level security", nil, nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got error
			seed := func(ctx context.Context, d deps) error {
				a, b := entityid.NewTenantID(), entityid.NewTenantID()
				for j, id := range []entityid.TenantID{a, b} {
					if err := d.db.Writer(ctx).Tenant.Create().SetID(id).SetSlug(fmt.Sprintf("copy-%d-%d", i, j)).SetDisplayName("t").Exec(ctx); err != nil {
						return err
					}
				}
				got = tt.copyFn(ctx, a, b)
				return got
			}
			name := fmt.Sprintf("000%d_case", i+1)
			s := set(config.Development, "", []string{name}, map[string]seedengine.Func[deps]{name: seed})
			_, err := newRunner(t, db, config.Development, s).Run(context.Background(), seedengine.RunOptions{})
			if got == nil || err == nil || !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) || (tt.not != nil && errors.Is(err, tt.not)) {
				t.Fatalf("CopyFrom = %v, Run = %v; want an error with %q", got, err, tt.want)
			}
		})
	}

	t.Run("tenant cleared after the copy", func(t *testing.T) {
		var after string
		seed := func(ctx context.Context, d deps) error {
			a := entityid.NewTenantID()
			if err := d.db.Writer(ctx).Tenant.Create().SetID(a).SetSlug("cleared").SetDisplayName("t").Exec(ctx); err != nil {
				return err
			}
			if _, err := seedengine.CopyFrom(tenantctx.With(ctx, a), pgx.Identifier{"users"}, []string{"id", "tenant_id", "email", "display_name"},
				pgx.CopyFromRows([][]any{{entityid.NewUserID().UUID(), a.UUID(), "x@cleared.example", "X"}})); err != nil {
				return err
			}
			rows, err := d.db.Writer(ctx).QueryContext(ctx, "SELECT coalesce(current_setting('"+tenantctx.Setting+"', true), '')")
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				if err := rows.Scan(&after); err != nil {
					return err
				}
			}
			return rows.Err()
		}
		s := set(config.Development, "", []string{"0009_cleared"}, map[string]seedengine.Func[deps]{"0009_cleared": seed})
		if _, err := newRunner(t, db, config.Development, s, seedengine.WithOutOfOrder(true)).Run(context.Background(), seedengine.RunOptions{}); err != nil {
			t.Fatal(err)
		}
		if after != "" {
			t.Errorf("after CopyFrom the seed's session is still scoped to tenant %q", after)
		}
	})
}

// TestStatusRowsSorted: Status lists its rows by name, whatever the order
// of the map it builds them from. Mutant: the sort dropped.
func TestStatusRowsSorted(t *testing.T) {
	db := newTxDB(t, newTestDB(t))
	names := []string{"0001_a", "0002_b", "0003_c", "0004_d", "0005_e", "0006_f", "0007_g", "0008_h"}
	if _, err := newRunner(t, db, config.Development, set(config.Development, "", names[:4], nil)).Run(context.Background(), seedengine.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		rows, err := newRunner(t, db, config.Development, set(config.Development, "", names, nil)).Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r.Name)
		}
		if !slices.Equal(got, names) {
			t.Fatalf("Status rows %v, want %v", got, names)
		}
	}
}
