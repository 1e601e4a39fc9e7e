package entgen_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgtype"

	entpkg "github.com/central/central/ent"
	"github.com/central/central/ent/user"
	"github.com/central/central/internal/entityid"
)

// cannedDriver answers every query with n canned users rows and no
// database, so a benchmark over it measures ent's own CPU and allocations
// on the read path (builder, SQL text, interceptors, scanning into the
// entity), which the database benchmarks (internal/db BenchmarkCompare,
// BenchmarkRowSecurity) mix with the driver and the server.
type cannedDriver struct{ n int }

func (d cannedDriver) Query(_ context.Context, _ string, _, v any) error {
	rows, ok := v.(*entsql.Rows)
	if !ok {
		return fmt.Errorf("cannedDriver: Query into %T", v)
	}
	*rows = entsql.Rows{ColumnScanner: &cannedRows{n: d.n}}
	return nil
}

func (cannedDriver) Exec(context.Context, string, any, any) error {
	return fmt.Errorf("cannedDriver: Exec")
}
func (cannedDriver) Tx(context.Context) (dialect.Tx, error) {
	return nil, fmt.Errorf("cannedDriver: Tx")
}
func (cannedDriver) Close() error    { return nil }
func (cannedDriver) Dialect() string { return dialect.Postgres }

var (
	cannedColumns = []string{user.FieldID, user.FieldCreatedAt, user.FieldUpdatedAt, user.FieldTenantID,
		user.FieldEmail, user.FieldDisplayName, user.FieldStatus, user.FieldIdpUserInfo, user.FieldProfile}
	cannedTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

// cannedRows scans a fixed user row the way internal/pgxdriver hands
// values over: IDs through ScanUUID, texts and times straight into
// database/sql's nullable targets, JSON as NULL.
type cannedRows struct{ i, n int }

func (r *cannedRows) Close() error { return nil }
func (r *cannedRows) ColumnTypes() ([]*sql.ColumnType, error) {
	return nil, fmt.Errorf("no column types")
}
func (r *cannedRows) Columns() ([]string, error) { return cannedColumns, nil }
func (r *cannedRows) Err() error                 { return nil }
func (r *cannedRows) NextResultSet() bool        { return false }
func (r *cannedRows) Next() bool                 { r.i++; return r.i <= r.n }

func (r *cannedRows) Scan(dest ...any) error {
	for i, v := range dest {
		switch p := v.(type) {
		case interface{ ScanUUID(pgtype.UUID) error }:
			if err := p.ScanUUID(pgtype.UUID{Bytes: [16]byte{byte(r.i), 1}, Valid: true}); err != nil {
				return err
			}
		case *sql.NullString:
			*p = sql.NullString{String: "active", Valid: true}
		case *sql.NullTime:
			*p = sql.NullTime{Time: cannedTime, Valid: true}
		case *[]byte:
			*p = nil
		case sql.Scanner:
			if err := p.Scan(nil); err != nil {
				return err
			}
		default:
			return fmt.Errorf("cannedRows: column %s into %T", cannedColumns[i], v)
		}
	}
	return nil
}

// BenchmarkReadPath measures ent's CPU and allocations per read through
// the generated code, without a database: get-by-id and list-100, scoped
// (ForTenant, as the services read) and unscoped (CrossTenant).
func BenchmarkReadPath(b *testing.B) {
	ctx := context.Background()
	cross := entpkg.CrossTenant(ctx)
	tid := entityid.TenantID{9}
	one := entpkg.NewClient(entpkg.Driver(cannedDriver{n: 1}))
	hundred := entpkg.NewClient(entpkg.Driver(cannedDriver{n: 100}))
	ro := one.ReadOnly()
	id := entityid.UserID{1, 1}
	for _, c := range []struct {
		name string
		run  func() error
	}{
		{"get-by-id/unscoped", func() error {
			_, err := one.User.Query().Where(user.TenantID(tid), user.ID(id)).Only(cross)
			return err
		}},
		{"get-by-id/scoped", func() error { _, err := one.ForTenant(tid).User.Get(ctx, id); return err }},
		{"get-by-id/scoped-read-only", func() error { _, err := ro.ForTenant(tid).User.Get(ctx, id); return err }},
		{"list-100/unscoped", func() error {
			_, err := hundred.User.Query().Where(user.TenantID(tid)).Order(entpkg.Asc(user.FieldID)).Limit(100).All(cross)
			return err
		}},
		{"list-100/scoped", func() error {
			_, err := hundred.ForTenant(tid).User.Query().Order(entpkg.Asc(user.FieldID)).Limit(100).All(ctx)
			return err
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if err := c.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
