package entgen_test

import (
	"context"
	"fmt"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	entpkg "github.com/central/central/ent"
	"github.com/central/central/internal/entityid"
)

// execDriver accepts every Exec without a database and records nothing,
// so a benchmark over it measures ent's own CPU and allocations on the
// write path (mutation, hooks, defaults, validators, the INSERT's text and
// arguments), which the database benchmark (internal/db BenchmarkCompare
// insert) mixes with the driver and the server.
type execDriver struct{}

func (execDriver) Exec(_ context.Context, _ string, _, v any) error {
	switch v := v.(type) {
	case nil:
		return nil
	case *entsql.Result:
		*v = execResult{}
		return nil
	}
	return fmt.Errorf("execDriver: Exec into %T", v)
}

// Query answers with no rows: a bulk create reads its IDs back with
// RETURNING, and they were made in Go already.
func (execDriver) Query(ctx context.Context, query string, args, v any) error {
	return cannedDriver{}.Query(ctx, query, args, v)
}
func (execDriver) Tx(context.Context) (dialect.Tx, error) {
	return nil, fmt.Errorf("execDriver: Tx")
}
func (execDriver) Close() error    { return nil }
func (execDriver) Dialect() string { return dialect.Postgres }

type execResult struct{}

func (execResult) LastInsertId() (int64, error) { return 0, fmt.Errorf("no LastInsertId") }
func (execResult) RowsAffected() (int64, error) { return 1, nil }

// BenchmarkWritePath measures ent's CPU and allocations per create through
// the generated code, without a database: a tenant as internal/db's
// BenchmarkCompare inserts it (global entity, defaults for ID, timestamps
// and status), a user through a tenant scope (the scope hook runs) and a
// bulk of ten tenants.
func BenchmarkWritePath(b *testing.B) {
	ctx := context.Background()
	c := entpkg.NewClient(entpkg.Driver(execDriver{}))
	tid := entityid.TenantID{9}
	scoped := c.ForTenant(tid)
	for _, tc := range []struct {
		name string
		run  func() error
	}{
		{"tenant/create", func() error {
			_, err := c.Tenant.Create().SetSlug("bench-slug").SetDisplayName("Bench").Save(ctx)
			return err
		}},
		{"user/create-scoped", func() error {
			_, err := scoped.User.Create().SetEmail("someone@example.com").SetDisplayName("Someone").Save(ctx)
			return err
		}},
		{"tenant/create-bulk-10", func() error {
			bs := make([]*entpkg.TenantCreate, 10)
			for i := range bs {
				bs[i] = c.Tenant.Create().SetSlug(fmt.Sprintf("bench-%02d", i)).SetDisplayName("Bench")
			}
			_, err := c.Tenant.CreateBulk(bs...).Save(ctx)
			return err
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if err := tc.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
