package db_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/central/central/ent"
	"github.com/central/central/ent/user"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/entityid"
)

// rlsBenchUsers is the number of users of each of the two tenants.
const rlsBenchUsers = 50_000

// rlsBenchDB is one migrated database with two tenants of rlsBenchUsers
// users each, reached through the module (db.Open: ent over pgxdriver, SQL
// logging at info, routing, write marking). With rls false the superuser
// turns row-level security off on users: the database as it was before
// issue 12.
func rlsBenchDB(b *testing.B, rls bool) (*db.DB, entityid.TenantID, []entityid.UserID) {
	b.Helper()
	tdb := dbtest.New(b)
	ctx := context.Background()
	admin := tdb.OpenAdminDB(b)
	a, other := entityid.NewTenantID(), entityid.NewTenantID()
	for i, tid := range []entityid.TenantID{a, other} {
		stmts := []string{
			`INSERT INTO tenants (id, slug, display_name, status, created_at, updated_at) VALUES ($1, 'bench-' || $2::text, 'Bench', 'active', now(), now())`,
			`INSERT INTO users (id, tenant_id, email, display_name, status, created_at, updated_at)
			 SELECT gen_random_uuid(), $1, 'user' || g || '@t' || $2::text || '.example', 'User ' || g, 'active', now(), now()
			 FROM generate_series(1, ` + fmt.Sprint(rlsBenchUsers) + `) g`,
		}
		for _, s := range stmts {
			if _, err := admin.ExecContext(ctx, s, tid.UUID(), fmt.Sprint(i)); err != nil {
				b.Fatal(err)
			}
		}
	}
	if !rls {
		if _, err := admin.ExecContext(ctx, `ALTER TABLE users NO FORCE ROW LEVEL SECURITY; ALTER TABLE users DISABLE ROW LEVEL SECURITY`); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := admin.ExecContext(ctx, "ANALYZE tenants, users"); err != nil {
		b.Fatal(err)
	}
	rows, err := admin.QueryContext(ctx, "SELECT id FROM users WHERE tenant_id = $1 ORDER BY random() LIMIT 1000", a.UUID())
	if err != nil {
		b.Fatal(err)
	}
	var ids []entityid.UserID
	for rows.Next() {
		var id entityid.UserID
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(discard{}), zapcore.InfoLevel))
	d, err := db.Open(ctx, pgConfig(tdb), logger)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = d.Stop(context.Background()) })
	return d, a, ids
}

// BenchmarkRowSecurity compares, interleaved in one loop (rotating order),
// each operation through ent with and without row-level security, on two
// databases of the same server with the same rows:
//
//	off  RLS disabled on users; the unscoped client with the tenant
//	     predicate written out: one plain statement (the path before issue 12)
//	on   RLS enabled and forced; the generated tenant scope (ForTenant), whose
//	     statements the driver sends with set_config in one pgx batch: one
//	     round trip, one implicit transaction
//	batch  the tenant scope on the RLS-off database: the batch without the
//	       policies, to split the overhead between the two
//
// It reports each path's mean ns per operation and on/off. The server's
// fsync setting is in the log line (dbtest clusters run with fsync off).
//
// Run: go test ./internal/db -run '^$' -bench RowSecurity -benchtime 5000x -count 3
func BenchmarkRowSecurity(b *testing.B) {
	off, offTenant, offIDs := rlsBenchDB(b, false)
	on, onTenant, onIDs := rlsBenchDB(b, true)
	ctx := context.Background()
	// The "off" path is the hand-written predicate on the plain client:
	// let past the generated check, as a baseline.
	adminCtx := ent.CrossTenant(ctx)
	var fsync string
	if err := on.Pools().ReadWrite.Pgx.QueryRow(ctx, "SHOW fsync").Scan(&fsync); err != nil {
		b.Fatal(err)
	}
	b.Logf("fsync=%s, %d users in each of 2 tenants", fsync, rlsBenchUsers)
	n := 0
	email := func() string { n++; return fmt.Sprintf("bench-%08d@x.example", n) }
	names := [...]string{"off", "on", "batch"}
	check := func(u *ent.User, err error) error {
		if err == nil && u.Email == "" {
			err = errors.New("empty email")
		}
		return err
	}
	list := func(us []*ent.User, err error) error {
		if err == nil && len(us) != 100 {
			err = fmt.Errorf("got %d rows", len(us))
		}
		return err
	}
	cases := []struct {
		name  string
		paths [len(names)]func(i int) error
	}{
		{"get-by-id", [len(names)]func(int) error{
			func(i int) error {
				return check(off.Reader(ctx).User.Query().Where(user.TenantID(offTenant), user.ID(offIDs[i%len(offIDs)])).Only(adminCtx))
			},
			func(i int) error { return check(on.Reader(ctx).ForTenant(onTenant).User.Get(ctx, onIDs[i%len(onIDs)])) },
			func(i int) error {
				return check(off.Reader(ctx).ForTenant(offTenant).User.Get(ctx, offIDs[i%len(offIDs)]))
			},
		}},
		{"list-100", [len(names)]func(int) error{
			func(int) error {
				return list(off.Reader(ctx).User.Query().Where(user.TenantID(offTenant)).Order(ent.Asc(user.FieldID)).Limit(100).All(adminCtx))
			},
			func(int) error {
				return list(on.Reader(ctx).ForTenant(onTenant).User.Query().Order(ent.Asc(user.FieldID)).Limit(100).All(ctx))
			},
			func(int) error {
				return list(off.Reader(ctx).ForTenant(offTenant).User.Query().Order(ent.Asc(user.FieldID)).Limit(100).All(ctx))
			},
		}},
		{"insert", [len(names)]func(int) error{
			func(int) error {
				return check(off.Writer(ctx).User.Create().SetTenantID(offTenant).SetEmail(email()).SetDisplayName("Bench").Save(adminCtx))
			},
			func(int) error {
				return check(on.Writer(ctx).ForTenant(onTenant).User.Create().SetEmail(email()).SetDisplayName("Bench").Save(ctx))
			},
			func(int) error {
				return check(off.Writer(ctx).ForTenant(offTenant).User.Create().SetEmail(email()).SetDisplayName("Bench").Save(ctx))
			},
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for p, f := range c.paths { // warm up: statements prepared, pools filled
				for i := range 50 {
					if err := f(i); err != nil {
						b.Fatal(names[p], err)
					}
				}
			}
			var total [len(names)]time.Duration
			i := 0
			for b.Loop() {
				for k := range c.paths {
					p := (i + k) % len(c.paths)
					start := time.Now()
					if err := c.paths[p](i); err != nil {
						b.Fatal(names[p], err)
					}
					total[p] += time.Since(start)
				}
				i++
			}
			per := func(p int) float64 { return float64(total[p].Nanoseconds()) / float64(i) }
			for p, name := range names {
				b.ReportMetric(per(p), name+"-ns/op")
			}
			b.ReportMetric(per(1)/per(0), "on/off")
			b.ReportMetric(per(2)/per(0), "batch/off")
		})
	}
}
