package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/central/central/ent"
	"github.com/central/central/ent/tenant"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/pgxdriver"
)

// benchEnv is one migrated database seeded with 1000 tenants, reached
// through the module (ent over internal/pgxdriver + SQL logging at info level
// + replica router + read-your-writes marking), through database/sql with
// the pgx stdlib driver (pools configured as the module's were before
// pgxdriver: stdlib.OpenDB, 4 open and 4 idle), and through pgxpool. Raw
// paths use the same roles as the module.
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

	env.rawRO = openLegacy(b, tdb.ReadOnlyURL, true)
	env.rawRW = openLegacy(b, tdb.URL, false)
	// Raw pgx runs on the module's own pools, so the raw and the ent paths
	// use the same connections and differ only in the client code above them.
	env.poolRO = d.Pools().ReadOnly.Pgx
	env.poolRW = d.Pools().ReadWrite.Pgx

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

// openLegacy opens a database/sql pool the way db.NewPools did before the
// module moved to pgxpool: today's database/sql path, for comparison.
func openLegacy(b *testing.B, url string, readOnly bool) *sql.DB {
	pc, err := db.PoolConfig(config.Conn{URL: config.Secret(url), AppName: "bench"}, readOnly)
	if err != nil {
		b.Fatal(err)
	}
	sdb := stdlib.OpenDB(*pc.ConnConfig)
	sdb.SetMaxOpenConns(4)
	sdb.SetMaxIdleConns(4)
	b.Cleanup(func() { sdb.Close() })
	return sdb
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

// median returns the median of ds in nanoseconds (ds is sorted in place).
func median(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return float64(ds[len(ds)/2].Nanoseconds())
}

// shuffler gives each iteration of an interleaved loop a new order of its
// paths, from a fixed seed (runs are repeatable). A rotating order is not
// enough: path p would always run right after path p-1, and pay for that
// path's garbage (the GC's background marking shares the two cores), so a
// cheap path placed after ent or database/sql looked up to 10 % slower than
// the same path placed elsewhere.
type shuffler struct {
	rng   *rand.Rand
	order []int
}

func newShuffler(n int) *shuffler {
	s := &shuffler{rng: rand.New(rand.NewPCG(1, 2)), order: make([]int, n)}
	for i := range s.order {
		s.order[i] = i
	}
	return s
}

func (s *shuffler) next() []int {
	s.rng.Shuffle(len(s.order), func(i, j int) { s.order[i], s.order[j] = s.order[j], s.order[i] })
	return s.order
}

// interleave runs every path once per b.Loop iteration, in a fresh order
// each time (see shuffler), and returns each path's mean and median
// nanoseconds per call; path i gets the iteration number.
func interleave(b *testing.B, names []string, paths []func(i int) error) (mean, med []float64) {
	order := newShuffler(len(paths))
	total := make([]time.Duration, len(paths))
	samples := make([][]time.Duration, len(paths))
	i := 0
	for b.Loop() {
		for _, p := range order.next() {
			start := time.Now()
			if err := paths[p](i); err != nil {
				b.Fatal(names[p], err)
			}
			d := time.Since(start)
			total[p] += d
			samples[p] = append(samples[p], d)
		}
		i++
	}
	mean, med = make([]float64, len(paths)), make([]float64, len(paths))
	for p := range paths {
		mean[p] = float64(total[p].Nanoseconds()) / float64(i)
		med[p] = median(samples[p])
	}
	return mean, med
}

// recorder remembers the last query sent through it: the SQL ent
// generates, for the paths that run it without ent.
type recorder struct {
	dialect.Driver
	last string
}

func (r *recorder) Query(ctx context.Context, query string, args, v any) error {
	r.last = query
	return r.Driver.Query(ctx, query, args, v)
}

func (r *recorder) Exec(ctx context.Context, query string, args, v any) error {
	r.last = query
	return r.Driver.Exec(ctx, query, args, v)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkCompare runs every path of one operation interleaved (in a
// a shuffled order, see shuffler) in one loop and reports each path's mean ns per operation,
// its allocations per operation, and the ratios to raw pgxpool. Interleaving
// makes the ratios robust to load that changes during the run, which
// separate benchmarks are not on a shared machine. The paths:
//
//	ent       the module's clients: ent over pgxdriver, SQL logging, routing, write marking
//	pgxpool   hand-written SQL on pgxpool (the target)
//	sql       hand-written SQL on database/sql (pgx stdlib)
//	entpgx    the generated client straight over pgxdriver (no layers of ours)
//	entsql    the generated client straight over ent's database/sql driver: the driver before pgxdriver
//	drv       pgxdriver alone: its dialect-level Query with the exact SQL ent sends and ent's scan
//	          targets (get, list), its Exec with the hand-written INSERT; no ent code at all
//
// Besides the means (name-ns/op, name/pgxpool) it reports medians
// (name-med-ns/op, name/pgxpool-med): on this shared two-core machine a few
// slow iterations, when other processes take the cores, move a mean by
// ±0.1 between runs; the median of the same interleaved samples does not.
// drv/pgxpool-med stays within 1.00–1.02 for get-by-id and insert: the driver
// itself costs nothing measurable over pgx. What separated ent from pgxpool
// was ent's own work, which internal/entgen now generates away for the
// common shapes, byte-identical statements: a get by ID through the
// read-only client or a tenant scope sends a statement worked out at
// generation time (sqlFastGet), full-row reads hand sqlgraph a pre-quoted
// select list and reuse their scan targets across rows, and single creates
// send their INSERT without sqlgraph (fastCreate). For list-100 drv
// (1.08–1.12) pays for ent's database/sql-typed scan targets.
//
// Figures, 2026-12-01 07:17 (load 0.5–0.6, quiet, fsync off), medians,
// three runs (bench/results/compare-run6.txt): get-by-id ent
// 1.05/1.07/1.07, entpgx 1.03/1.04/1.06, drv 1.01/1.01/1.02; list-100 ent
// 1.09/1.10/1.11, drv 1.08/1.10/1.10; insert ent 1.05/1.05/1.05, entpgx
// 1.03/1.03/1.03, drv 1.00. Allocations: get 28 (pgxpool 15; 94 before),
// list 459 (508; 1,186 before), insert 24–25 (10–11; 70–71 before). Both
// insert paths send the same messages (Bind, Describe portal, Execute, Sync;
// ent's INSERT has no RETURNING since the ID is made in Go), so the
// comparison is like for like. See BENCHMARKS.md.
//
// Run: go test ./internal/db -run '^$' -bench Compare -benchtime 3000x -count 3
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
	pgxRO := ent.NewReadOnlyClient(ent.Driver(pgxdriver.New(env.d.Pools().ReadOnly.Pgx)))
	pgxRW := ent.NewClient(ent.Driver(pgxdriver.New(env.d.Pools().ReadWrite.Pgx)))
	sqlRO := ent.NewReadOnlyClient(ent.Driver(entsql.OpenDB(dialect.Postgres, env.rawRO)))
	sqlRW := ent.NewClient(ent.Driver(entsql.OpenDB(dialect.Postgres, env.rawRW)))
	names := [...]string{"ent", "pgxpool", "sql", "entpgx", "entsql", "drv"}
	drv := pgxdriver.New(env.d.Pools().ReadOnly.Pgx)
	drvRW := pgxdriver.New(env.d.Pools().ReadWrite.Pgx)
	// The SQL ent sends, recorded once, for drv.
	rec := &recorder{Driver: drv}
	recRO := ent.NewReadOnlyClient(ent.Driver(rec))
	if _, err := recRO.Tenant.Get(ctx, env.ids[0]); err != nil {
		b.Fatal(err)
	}
	entGetSQL := rec.last
	if _, err := recRO.Tenant.Query().Order(ent.Asc(tenant.FieldID)).Limit(100).All(ctx); err != nil {
		b.Fatal(err)
	}
	entListSQL := rec.last
	drvScan := func(query string, args []any, want int) error {
		var rows entsql.Rows
		if err := drv.Query(ctx, query, args, &rows); err != nil {
			return err
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return err
		}
		n := 0
		for rows.Next() {
			// ent's scanValues for tenants, as generated
			vals := make([]any, len(cols))
			vals[0] = new(entityid.TenantID)
			vals[1], vals[2] = new(sql.NullTime), new(sql.NullTime)
			vals[3], vals[4], vals[5] = new(sql.NullString), new(sql.NullString), new(sql.NullString)
			if err := rows.Scan(vals...); err != nil {
				return err
			}
			n++
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if n != want {
			return fmt.Errorf("got %d rows", n)
		}
		return nil
	}
	getEnt := func(c *ent.ReadOnlyClient) func(int) error {
		return func(i int) error {
			t, err := c.Tenant.Get(ctx, env.ids[i%len(env.ids)])
			if err == nil && t.Slug == "" {
				err = errors.New("empty slug")
			}
			return err
		}
	}
	listEnt := func(c *ent.ReadOnlyClient) func(int) error {
		return func(int) error {
			ts, err := c.Tenant.Query().Order(ent.Asc(tenant.FieldID)).Limit(100).All(ctx)
			if err == nil && len(ts) != 100 {
				err = fmt.Errorf("got %d rows", len(ts))
			}
			return err
		}
	}
	insertEnt := func(c *ent.Client) func(int) error {
		return func(int) error {
			_, err := c.Tenant.Create().SetSlug(slug()).SetDisplayName("Bench").Save(ctx)
			return err
		}
	}
	cases := []struct {
		name  string
		paths [len(names)]func(i int) error
	}{
		{"get-by-id", [len(names)]func(int) error{
			func(i int) error { return getEnt(env.d.Reader(ctx))(i) },
			func(i int) error {
				var r tenantRow
				return env.poolRO.QueryRow(ctx, selectByID, env.ids[i%len(env.ids)]).
					Scan(&r.ID, &r.CreatedAt, &r.UpdatedAt, &r.Slug, &r.DisplayName, &r.Status)
			},
			func(i int) error {
				var r tenantRow
				return env.rawRO.QueryRowContext(ctx, selectByID, env.ids[i%len(env.ids)]).
					Scan(&r.ID, &r.CreatedAt, &r.UpdatedAt, &r.Slug, &r.DisplayName, &r.Status)
			},
			getEnt(pgxRO),
			getEnt(sqlRO),
			func(i int) error { return drvScan(entGetSQL, []any{env.ids[i%len(env.ids)]}, 1) },
		}},
		{"list-100", [len(names)]func(int) error{
			func(i int) error { return listEnt(env.d.Reader(ctx))(i) },
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
			listEnt(pgxRO),
			listEnt(sqlRO),
			func(int) error { return drvScan(entListSQL, nil, 100) },
		}},
		{"insert", [len(names)]func(int) error{
			func(i int) error { return insertEnt(env.d.Writer(ctx))(i) },
			func(int) error {
				now := time.Now()
				_, err := env.poolRW.Exec(ctx, insertOne, entityid.NewTenantID(), now, now, slug(), "Bench", "active")
				return err
			},
			func(int) error {
				now := time.Now()
				_, err := env.rawRW.ExecContext(ctx, insertOne, entityid.NewTenantID(), now, now, slug(), "Bench", "active")
				return err
			},
			insertEnt(pgxRW),
			insertEnt(sqlRW),
			func(int) error {
				now := time.Now()
				return drvRW.Exec(ctx, insertOne, []any{entityid.NewTenantID(), now, now, slug(), "Bench", "active"}, nil)
			},
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			// Allocations per path, measured apart: one loop cannot attribute them.
			var allocs [len(names)]float64
			for p, f := range c.paths {
				var err error
				allocs[p] = testing.AllocsPerRun(200, func() { err = errors.Join(err, f(0)) })
				if err != nil {
					b.Fatal(names[p], err)
				}
			}
			mean, med := interleave(b, names[:], c.paths[:])
			per := func(p int) float64 { return mean[p] }
			for p, name := range names {
				b.ReportMetric(per(p), name+"-ns/op")
				b.ReportMetric(med[p], name+"-med-ns/op")
				b.ReportMetric(allocs[p], name+"-allocs/op")
				if p != 1 {
					b.ReportMetric(per(p)/per(1), name+"/pgxpool")
					b.ReportMetric(med[p]/med[1], name+"/pgxpool-med")
				}
			}
		})
	}
}
