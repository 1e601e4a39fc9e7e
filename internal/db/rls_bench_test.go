package db_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/central/central/ent"
	"github.com/central/central/ent/user"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/tenantctx"
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

// BenchmarkRowSecurity compares, interleaved in one loop (shuffled order,
// see shuffler), each operation through ent with and without row-level
// security, on two databases of the same server with the same rows:
//
//	off  RLS disabled on users; the unscoped client (let past the generated
//	     check) with the tenant predicate written out, one plain statement:
//	     the path before issue 12. For get-by-id the read-only client's Get,
//	     the same generated statement as the scope's (sqlFastGet) less the
//	     tenant predicate, so that on/off does not also measure ent's builder
//	     (which the unscoped Query().Where(...).Only() still goes through)
//	on   RLS enabled and forced; the generated tenant scope (ForTenant), whose
//	     statements the driver sends with set_config in one pgx batch: one
//	     round trip, one implicit transaction
//	batch  the tenant scope on the RLS-off database: the batch without the
//	       policies, to split the overhead between the two
//	pgx      raw pgx, no ent: the SQL the scope sends (for get-by-id and
//	         list-100), as one plain statement on the RLS-off database (the
//	         hand-written INSERT for insert)
//	pgxbatch raw pgx, no ent: pgx.Batch of set_config and the same statement
//	         on the RLS database: the mechanism's floor, so pgxbatch/pgx is
//	         the least on/off can be with one round trip carrying set_config
//
// It reports each path's mean and median ns per operation, on/off,
// batch/off and pgxbatch/pgx, as means and as medians (-med): on this shared
// two-core machine the medians move far less between runs. The server's
// fsync setting is in the log line (dbtest clusters run with fsync off).
//
// Figures, 2026-12-01 07:18 (load 0.6–1.0, quiet, fsync off), medians,
// three runs, with the generated fast paths (internal/entgen):
//
//	             on/off            batch/off         pgxbatch/pgx
//	get-by-id    1.10 1.10 1.10    1.06 1.05 1.06    1.10 1.10 1.10
//	list-100     1.08 1.11 1.10    1.04 1.05 1.05    1.11 1.16 1.15
//	insert       1.10 1.10 1.10    1.06 1.04 1.06    1.10 1.09 1.09
//
// ent with row-level security is as close to ent without it as raw pgx
// sending the same batch to the same database is to a plain statement: the
// overhead is the mechanism, not the driver. About half of it is the
// batch's second statement (set_config: its Bind, Execute and executor run
// on the server, one more result on the client; one round trip, two Bind +
// Execute pairs and one Sync), the rest (on against batch) the policies and
// the other database: an initplan reading the setting per statement, and
// WITH CHECK per inserted row. The plans stay the same index scans (EXPLAIN
// ANALYZE: "One-Time Filter: ($0 = $1)" over "Index Scan using
// user_tenant_id_id", ORDER BY id satisfied by the index) and use generic
// plans after the fifth execution on both databases
// (pg_prepared_statements). The goal of ≤ 1.10 is the floor itself: raw
// pgx pays 1.09–1.16 for one round trip carrying set_config.
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
	names := [...]string{"off", "on", "batch", "pgx", "pgxbatch"}
	// The SQL ent sends for the off paths, recorded once, for the raw paths.
	recGet, recList := &recorder{Driver: off.Driver()}, &recorder{Driver: off.Driver()}
	if _, err := ent.NewClient(ent.Driver(recGet)).ForTenant(offTenant).User.Get(ctx, offIDs[0]); err != nil {
		b.Fatal(err)
	}
	if _, err := ent.NewClient(ent.Driver(recList)).User.Query().Where(user.TenantID(offTenant)).Order(ent.Asc(user.FieldID)).Limit(100).All(adminCtx); err != nil {
		b.Fatal(err)
	}
	rawOff, rawOn := off.Pools().ReadOnly.Pgx, on.Pools().ReadOnly.Pgx
	rawOffRW, rawOnRW := off.Pools().ReadWrite.Pgx, on.Pools().ReadWrite.Pgx
	const insertUser = `INSERT INTO users (id, tenant_id, email, display_name, status, created_at, updated_at) VALUES ($1, $2, $3, $4, 'active', $5, $6)`
	// rawQuery runs query (with set_config before it, in one batch, when
	// tenant is set) and scans want rows as ent's targets would be.
	rawQuery := func(pool *pgxpool.Pool, tenant entityid.TenantID, query string, want int, args ...any) error {
		var rows pgx.Rows
		var br pgx.BatchResults
		if tenant.IsZero() {
			var err error
			if rows, err = pool.Query(ctx, query, args...); err != nil {
				return err
			}
		} else {
			bt := &pgx.Batch{}
			bt.Queue(tenantctx.SetSQL, tenantctx.ID(tenant).String())
			bt.Queue(query, args...)
			br = pool.SendBatch(ctx, bt)
			defer br.Close()
			if _, err := br.Exec(); err != nil {
				return err
			}
			var err error
			if rows, err = br.Query(); err != nil {
				return err
			}
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var (
				id, tid              pgtype.UUID
				created, updated     time.Time
				email, name, status  string
				idpUserInfo, profile []byte
			)
			if err := rows.Scan(&id, &created, &updated, &tid, &email, &name, &status, &idpUserInfo, &profile); err != nil {
				return err
			}
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if br != nil {
			if err := br.Close(); err != nil {
				return err
			}
		}
		if n != want {
			return fmt.Errorf("got %d rows", n)
		}
		return nil
	}
	rawInsert := func(pool *pgxpool.Pool, tenant entityid.TenantID, set bool) error {
		now := time.Now()
		args := []any{entityid.NewUserID(), tenant, email(), "Bench", now, now}
		if !set {
			_, err := pool.Exec(ctx, insertUser, args...)
			return err
		}
		bt := &pgx.Batch{}
		bt.Queue(tenantctx.SetSQL, tenantctx.ID(tenant).String())
		bt.Queue(insertUser, args...)
		return pool.SendBatch(ctx, bt).Close()
	}
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
				// The read-only client's Get, let past the unscoped check:
				// the same generated statement (sqlFastGet) as the scope's
				// without its tenant predicate, and no set_config.
				return check(off.Reader(ctx).User.Get(adminCtx, offIDs[i%len(offIDs)]))
			},
			func(i int) error { return check(on.Reader(ctx).ForTenant(onTenant).User.Get(ctx, onIDs[i%len(onIDs)])) },
			func(i int) error {
				return check(off.Reader(ctx).ForTenant(offTenant).User.Get(ctx, offIDs[i%len(offIDs)]))
			},
			func(i int) error {
				return rawQuery(rawOff, entityid.TenantID{}, recGet.last, 1, offTenant, offIDs[i%len(offIDs)])
			},
			func(i int) error { return rawQuery(rawOn, onTenant, recGet.last, 1, onTenant, onIDs[i%len(onIDs)]) },
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
			func(int) error { return rawQuery(rawOff, entityid.TenantID{}, recList.last, 100, offTenant) },
			func(int) error { return rawQuery(rawOn, onTenant, recList.last, 100, onTenant) },
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
			func(int) error { return rawInsert(rawOffRW, offTenant, false) },
			func(int) error { return rawInsert(rawOnRW, onTenant, true) },
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
			mean, med := interleave(b, names[:], c.paths[:])
			per := func(p int) float64 { return mean[p] }
			for p, name := range names {
				b.ReportMetric(per(p), name+"-ns/op")
				b.ReportMetric(med[p], name+"-med-ns/op")
			}
			b.ReportMetric(per(1)/per(0), "on/off")
			b.ReportMetric(per(2)/per(0), "batch/off")
			b.ReportMetric(per(4)/per(3), "pgxbatch/pgx")
			b.ReportMetric(med[1]/med[0], "on/off-med")
			b.ReportMetric(med[2]/med[0], "batch/off-med")
			b.ReportMetric(med[4]/med[3], "pgxbatch/pgx-med")
		})
	}
}
