package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/central/central/ent"
	"github.com/central/central/ent/tenant"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/entityid"
)

// benchEnv is one migrated database seeded with 1000 tenants, reached three
// ways: through the module (ent + SQL logging at info level + replica router
// + read-your-writes marking), through database/sql with the pgx stdlib
// driver, and through pgxpool. Raw paths use the same roles as the module.
type benchEnv struct {
	d      *db.DB
	rawRO  *sql.DB
	rawRW  *sql.DB
	poolRO *pgxpool.Pool
	poolRW *pgxpool.Pool
	ids    []entityid.TenantID
	ctx    context.Context
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	tdb := dbtest.New(b)
	ctx := context.Background()
	// Production logs at info: statements are checked and not written.
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(discard{}), zapcore.InfoLevel))
	d, err := db.Open(ctx, pgConfig(tdb), logger)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = d.Stop(context.Background()) })
	env := &benchEnv{d: d, ctx: ctx}

	// database/sql runs on the app's own pools, so the raw and the ent paths
	// use the same connections and differ only in the client code above them.
	env.rawRO = d.Pools().ReadOnly.DB
	env.rawRW = d.Pools().ReadWrite.DB
	env.poolRO = openPool(b, tdb.ReadOnlyURL)
	env.poolRW = openPool(b, tdb.URL)

	bulk := make([]*ent.TenantCreate, 1000)
	for i := range bulk {
		bulk[i] = d.Client().Tenant.Create().SetSlug(fmt.Sprintf("tenant-%04d", i)).SetDisplayName(fmt.Sprintf("Tenant %d", i))
	}
	ts, err := d.Client().Tenant.CreateBulk(bulk...).Save(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for _, t := range ts {
		env.ids = append(env.ids, t.ID)
	}
	if _, err := env.rawRW.ExecContext(ctx, "ANALYZE tenants"); err != nil {
		b.Fatal(err)
	}
	return env
}

func openRaw(b *testing.B, url string) *sql.DB {
	sdb, err := sql.Open("pgx", url)
	if err != nil {
		b.Fatal(err)
	}
	sdb.SetMaxOpenConns(4)
	sdb.SetMaxIdleConns(4)
	b.Cleanup(func() { sdb.Close() })
	return sdb
}

func openPool(b *testing.B, url string) *pgxpool.Pool {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = 4
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Close)
	return p
}

type tenantRow struct {
	ID          entityid.TenantID
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Slug        string
	DisplayName string
	Status      string
}

const (
	selectByID = `SELECT id, created_at, updated_at, slug, display_name, status FROM tenants WHERE id = $1`
	selectList = `SELECT id, created_at, updated_at, slug, display_name, status FROM tenants ORDER BY id LIMIT 100`
	insertOne  = `INSERT INTO tenants (id, created_at, updated_at, slug, display_name, status) VALUES ($1, $2, $3, $4, $5, $6)`
)

// BenchmarkGetByID: one tenant by primary key (target: ent ≤ 1.25× raw).
func BenchmarkGetByID(b *testing.B) {
	env := newBenchEnv(b)
	ctx := env.ctx
	b.Run("ent", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			t, err := env.d.Reader(ctx).Tenant.Get(ctx, env.ids[i%len(env.ids)])
			if err != nil || t.Slug == "" {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("ent-bare", func(b *testing.B) {
		b.ReportAllocs()
		bare := ent.NewReadOnlyClient(ent.Driver(entsql.OpenDB(dialect.Postgres, env.rawRO)))
		i := 0
		for b.Loop() {
			t, err := bare.Tenant.Get(ctx, env.ids[i%len(env.ids)])
			if err != nil || t.Slug == "" {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("database-sql", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			var r tenantRow
			if err := env.rawRO.QueryRowContext(ctx, selectByID, env.ids[i%len(env.ids)]).
				Scan(&r.ID, &r.CreatedAt, &r.UpdatedAt, &r.Slug, &r.DisplayName, &r.Status); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("pgxpool", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			var r tenantRow
			if err := env.poolRO.QueryRow(ctx, selectByID, env.ids[i%len(env.ids)]).
				Scan(&r.ID, &r.CreatedAt, &r.UpdatedAt, &r.Slug, &r.DisplayName, &r.Status); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkList100: the first 100 tenants by id (target: ent ≤ 1.5× raw).
func BenchmarkList100(b *testing.B) {
	env := newBenchEnv(b)
	ctx := env.ctx
	b.Run("ent", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ts, err := env.d.Reader(ctx).Tenant.Query().Order(ent.Asc(tenant.FieldID)).Limit(100).All(ctx)
			if err != nil || len(ts) != 100 {
				b.Fatal(err, len(ts))
			}
		}
	})
	b.Run("ent-bare", func(b *testing.B) {
		b.ReportAllocs()
		bare := ent.NewReadOnlyClient(ent.Driver(entsql.OpenDB(dialect.Postgres, env.rawRO)))
		for b.Loop() {
			ts, err := bare.Tenant.Query().Order(ent.Asc(tenant.FieldID)).Limit(100).All(ctx)
			if err != nil || len(ts) != 100 {
				b.Fatal(err, len(ts))
			}
		}
	})
	b.Run("database-sql", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rows, err := env.rawRO.QueryContext(ctx, selectList)
			if err != nil {
				b.Fatal(err)
			}
			out := make([]*tenantRow, 0, 100)
			for rows.Next() {
				r := new(tenantRow)
				if err := rows.Scan(&r.ID, &r.CreatedAt, &r.UpdatedAt, &r.Slug, &r.DisplayName, &r.Status); err != nil {
					b.Fatal(err)
				}
				out = append(out, r)
			}
			if err := rows.Err(); err != nil || len(out) != 100 {
				b.Fatal(err, len(out))
			}
			rows.Close()
		}
	})
	b.Run("pgxpool", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rows, err := env.poolRO.Query(ctx, selectList)
			if err != nil {
				b.Fatal(err)
			}
			out := make([]*tenantRow, 0, 100)
			for rows.Next() {
				r := new(tenantRow)
				if err := rows.Scan(&r.ID, &r.CreatedAt, &r.UpdatedAt, &r.Slug, &r.DisplayName, &r.Status); err != nil {
					b.Fatal(err)
				}
				out = append(out, r)
			}
			if err := rows.Err(); err != nil || len(out) != 100 {
				b.Fatal(err, len(out))
			}
		}
	})
}

// BenchmarkInsert: one tenant, autocommit (target: ent ≤ 1.15× raw). Each
// path generates its ID and timestamps the same way.
func BenchmarkInsert(b *testing.B) {
	env := newBenchEnv(b)
	ctx := env.ctx
	n := 0
	slug := func() string { n++; return fmt.Sprintf("bench-%08d", n) }
	b.Run("ent", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := env.d.Writer(ctx).Tenant.Create().SetSlug(slug()).SetDisplayName("Bench").Save(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ent-bare", func(b *testing.B) {
		b.ReportAllocs()
		bare := ent.NewClient(ent.Driver(entsql.OpenDB(dialect.Postgres, env.rawRW)))
		for b.Loop() {
			if _, err := bare.Tenant.Create().SetSlug(slug()).SetDisplayName("Bench").Save(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("database-sql", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			now := time.Now()
			if _, err := env.rawRW.ExecContext(ctx, insertOne, entityid.NewTenantID(), now, now, slug(), "Bench", "active"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pgxpool", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			now := time.Now()
			if _, err := env.poolRW.Exec(ctx, insertOne, entityid.NewTenantID(), now, now, slug(), "Bench", "active"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkCompare runs the three paths interleaved (ent, database/sql,
// pgxpool, in a rotating order) in one loop and reports each path's mean ns per
// operation and ent's ratio to each raw path. Interleaving makes the ratios
// robust to load that changes during the run, which separate benchmarks
// are not on a shared machine.
func BenchmarkCompare(b *testing.B) {
	env := newBenchEnv(b)
	ctx := env.ctx
	n := 0
	slug := func() string { n++; return fmt.Sprintf("cmp-%08d", n) }
	scanList := func(next func() bool, scan func(...any) error) error {
		out := make([]*tenantRow, 0, 100)
		for next() {
			r := new(tenantRow)
			if err := scan(&r.ID, &r.CreatedAt, &r.UpdatedAt, &r.Slug, &r.DisplayName, &r.Status); err != nil {
				return err
			}
			out = append(out, r)
		}
		if len(out) != 100 {
			return fmt.Errorf("got %d rows", len(out))
		}
		return nil
	}
	// The same generated client straight over the raw pools: the difference
	// to "ent" is what SQL logging, routing and write marking cost.
	bareRO := ent.NewReadOnlyClient(ent.Driver(entsql.OpenDB(dialect.Postgres, env.rawRO)))
	bareRW := ent.NewClient(ent.Driver(entsql.OpenDB(dialect.Postgres, env.rawRW)))
	cases := []struct {
		name  string
		paths [4]func(i int) error // ent (module), database/sql, pgxpool, ent without our layers
	}{
		{"get-by-id", [4]func(int) error{
			func(i int) error { _, err := env.d.Reader(ctx).Tenant.Get(ctx, env.ids[i%len(env.ids)]); return err },
			func(i int) error {
				var r tenantRow
				return env.rawRO.QueryRowContext(ctx, selectByID, env.ids[i%len(env.ids)]).
					Scan(&r.ID, &r.CreatedAt, &r.UpdatedAt, &r.Slug, &r.DisplayName, &r.Status)
			},
			func(i int) error {
				var r tenantRow
				return env.poolRO.QueryRow(ctx, selectByID, env.ids[i%len(env.ids)]).
					Scan(&r.ID, &r.CreatedAt, &r.UpdatedAt, &r.Slug, &r.DisplayName, &r.Status)
			},
			func(i int) error { _, err := bareRO.Tenant.Get(ctx, env.ids[i%len(env.ids)]); return err },
		}},
		{"list-100", [4]func(int) error{
			func(int) error {
				_, err := env.d.Reader(ctx).Tenant.Query().Order(ent.Asc(tenant.FieldID)).Limit(100).All(ctx)
				return err
			},
			func(int) error {
				rows, err := env.rawRO.QueryContext(ctx, selectList)
				if err != nil {
					return err
				}
				defer rows.Close()
				if err := scanList(rows.Next, rows.Scan); err != nil {
					return err
				}
				return rows.Err()
			},
			func(int) error {
				rows, err := env.poolRO.Query(ctx, selectList)
				if err != nil {
					return err
				}
				defer rows.Close()
				if err := scanList(rows.Next, rows.Scan); err != nil {
					return err
				}
				return rows.Err()
			},
			func(int) error {
				_, err := bareRO.Tenant.Query().Order(ent.Asc(tenant.FieldID)).Limit(100).All(ctx)
				return err
			},
		}},
		{"insert", [4]func(int) error{
			func(int) error {
				_, err := env.d.Writer(ctx).Tenant.Create().SetSlug(slug()).SetDisplayName("Bench").Save(ctx)
				return err
			},
			func(int) error {
				now := time.Now()
				_, err := env.rawRW.ExecContext(ctx, insertOne, entityid.NewTenantID(), now, now, slug(), "Bench", "active")
				return err
			},
			func(int) error {
				now := time.Now()
				_, err := env.poolRW.Exec(ctx, insertOne, entityid.NewTenantID(), now, now, slug(), "Bench", "active")
				return err
			},
			func(int) error {
				_, err := bareRW.Tenant.Create().SetSlug(slug()).SetDisplayName("Bench").Save(ctx)
				return err
			},
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var total [4]time.Duration
			i := 0
			for b.Loop() {
				for k := range c.paths { // rotate the order: no path always goes first
					p := (i + k) % len(c.paths)
					start := time.Now()
					if err := c.paths[p](i); err != nil {
						b.Fatal(err)
					}
					total[p] += time.Since(start)
				}
				i++
			}
			per := func(p int) float64 { return float64(total[p].Nanoseconds()) / float64(i) }
			b.ReportMetric(per(0), "ent-ns/op")
			b.ReportMetric(per(1), "sql-ns/op")
			b.ReportMetric(per(2), "pgxpool-ns/op")
			b.ReportMetric(per(0)/per(1), "ent/sql")
			b.ReportMetric(per(0)/per(2), "ent/pgxpool")
			b.ReportMetric(per(3), "entbare-ns/op")
			b.ReportMetric(per(3)/per(1), "entbare/sql")
		})
	}
}
