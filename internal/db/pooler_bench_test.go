package db_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/central/central/ent"
	"github.com/central/central/ent/tenant"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/pgserver"
)

// BenchmarkPooler compares, interleaved in one loop (shuffled order, see
// shuffler, with means and medians as BenchmarkCompare reports them), the
// same operations directly and through a real PgBouncer in transaction mode
// (dbtest.NewPooled: 2 server connections), on an embedded cluster with
// fsync off. Paths:
//
//	pgx-direct       pgxpool on PostgreSQL, pgx's default mode (statement cache): the base
//	ent-direct       the module's clients on PostgreSQL (POSTGRES_POOLER=none)
//	ent-pooled       the module's clients through PgBouncer (POSTGRES_POOLER=transaction)
//	pgx-<mode>       pgxpool through PgBouncer in each candidate query mode:
//	                 cachedescribe, describeexec (unsafe there, measured only), exec, simple
//	pgx-exec-ro      pgxpool through PgBouncer, exec mode, as the read-only role (the
//	                 ent paths read as central_ro, the raw ones as central)
//
// Each path reports ns/op and its ratio to pgx-direct; ent-pooled also its
// ratio to ent-direct.
//
// Run: go test ./internal/db -run '^$' -bench Pooler -benchtime 2000x -count 3
func BenchmarkPooler(b *testing.B) {
	p := dbtest.NewPooled(b)
	ctx := context.Background()
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(discard{}), zapcore.InfoLevel))
	direct, err := db.Open(ctx, pgConfig(p.DB), logger)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = direct.Stop(context.Background()) })
	pooled, err := db.Open(ctx, pooledConfig(p), logger)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = pooled.Stop(context.Background()) })

	bulk := make([]*ent.TenantCreate, 1000)
	for i := range bulk {
		bulk[i] = direct.Client().Tenant.Create().SetSlug(fmt.Sprintf("tenant-%04d", i)).SetDisplayName(fmt.Sprintf("Tenant %d", i))
	}
	ts, err := direct.Client().Tenant.CreateBulk(bulk...).Save(ctx)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]entityid.TenantID, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	if _, err := direct.Pools().ReadWrite.ExecContext(ctx, "ANALYZE tenants"); err != nil {
		b.Fatal(err)
	}

	// The raw pools send the module's application_name for their role:
	// PgBouncer re-applies application_name with a SET whenever a server
	// connection changes hands between clients that differ in it, so clients
	// sharing a (database, user) pool should agree on it.
	rawPool := func(url string, mode pgx.QueryExecMode) *pgxpool.Pool {
		cfg, err := pgxpool.ParseConfig(url)
		if err != nil {
			b.Fatal(err)
		}
		cfg.ConnConfig.RuntimeParams["application_name"] = config.DefaultReadWriteAppName
		if cfg.ConnConfig.User == string(pgserver.RoleReadOnly) {
			cfg.ConnConfig.RuntimeParams["application_name"] = config.DefaultReadOnlyAppName
		}
		cfg.MaxConns = 4
		cfg.ConnConfig.DefaultQueryExecMode = mode
		if mode != pgx.QueryExecModeCacheStatement {
			cfg.ConnConfig.StatementCacheCapacity = 0
		}
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(pool.Close)
		return pool
	}
	type rawPath struct {
		name     string
		pool     *pgxpool.Pool
		readOnly bool
	}
	raws := []rawPath{
		{"pgx-direct", rawPool(p.URL, pgx.QueryExecModeCacheStatement), false},
		{"pgx-cachedescribe", rawPool(p.PooledURL, pgx.QueryExecModeCacheDescribe), false},
		{"pgx-describeexec", rawPool(p.PooledURL, pgx.QueryExecModeDescribeExec), false},
		{"pgx-exec", rawPool(p.PooledURL, pgx.QueryExecModeExec), false},
		{"pgx-simple", rawPool(p.PooledURL, pgx.QueryExecModeSimpleProtocol), false},
		{"pgx-exec-ro", rawPool(p.PooledReadOnlyURL, pgx.QueryExecModeExec), true},
	}

	n := 0
	slug := func() string { n++; return fmt.Sprintf("pool-%08d", n) }
	type path struct {
		name string
		run  func(i int) error
	}
	entPaths := func(get func(d *db.DB) func(int) error) []path {
		return []path{{"ent-direct", get(direct)}, {"ent-pooled", get(pooled)}}
	}
	cases := []struct {
		name  string
		paths []path
	}{
		{"get-by-id", func() []path {
			ps := entPaths(func(d *db.DB) func(int) error {
				return func(i int) error {
					t, err := d.Reader(ctx).Tenant.Get(ctx, ids[i%len(ids)])
					if err == nil && t.Slug == "" {
						err = errors.New("empty slug")
					}
					return err
				}
			})
			for _, r := range raws {
				ps = append(ps, path{r.name, func(i int) error {
					var t tenantRow
					return r.pool.QueryRow(ctx, selectByID, ids[i%len(ids)]).Scan(&t.ID, &t.CreatedAt, &t.UpdatedAt, &t.Slug, &t.DisplayName, &t.Status)
				}})
			}
			return ps
		}()},
		{"list-100", func() []path {
			ps := entPaths(func(d *db.DB) func(int) error {
				return func(int) error {
					ts, err := d.Reader(ctx).Tenant.Query().Order(ent.Asc(tenant.FieldID)).Limit(100).All(ctx)
					if err == nil && len(ts) != 100 {
						err = fmt.Errorf("got %d rows", len(ts))
					}
					return err
				}
			})
			for _, r := range raws {
				ps = append(ps, path{r.name, func(int) error {
					rows, err := r.pool.Query(ctx, selectList)
					if err != nil {
						return err
					}
					got := 0
					for rows.Next() {
						var t tenantRow
						if err := rows.Scan(&t.ID, &t.CreatedAt, &t.UpdatedAt, &t.Slug, &t.DisplayName, &t.Status); err != nil {
							rows.Close()
							return err
						}
						got++
					}
					if err := rows.Err(); err != nil {
						return err
					}
					if got != 100 {
						return fmt.Errorf("got %d rows", got)
					}
					return nil
				}})
			}
			return ps
		}()},
		{"insert", func() []path {
			ps := entPaths(func(d *db.DB) func(int) error {
				return func(int) error {
					_, err := d.Writer(ctx).Tenant.Create().SetSlug(slug()).SetDisplayName("Bench").Save(ctx)
					return err
				}
			})
			for _, r := range raws {
				if r.readOnly {
					continue
				}
				ps = append(ps, path{r.name, func(int) error {
					now := time.Now()
					_, err := r.pool.Exec(ctx, insertOne, entityid.NewTenantID(), now, now, slug(), "Bench", "active")
					return err
				}})
			}
			return ps
		}()},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for _, p := range c.paths { // warm up: pools connected, caches filled
				for range 20 {
					if err := p.run(0); err != nil {
						b.Fatal(p.name, err)
					}
				}
			}
			names := make([]string, len(c.paths))
			runs := make([]func(int) error, len(c.paths))
			for p, path := range c.paths {
				names[p], runs[p] = path.name, path.run
			}
			mean, med := interleave(b, names, runs)
			per := func(p int) float64 { return mean[p] }
			base := 0
			for p, path := range c.paths {
				if path.name == "pgx-direct" {
					base = p
				}
			}
			for p, path := range c.paths {
				b.ReportMetric(per(p), path.name+"-ns/op")
				b.ReportMetric(med[p], path.name+"-med-ns/op")
				if p != base {
					b.ReportMetric(per(p)/per(base), path.name+"/pgx-direct")
					b.ReportMetric(med[p]/med[base], path.name+"/pgx-direct-med")
				}
			}
			b.ReportMetric(med[1]/med[0], "ent-pooled/ent-direct-med")
			b.ReportMetric(per(1)/per(0), "ent-pooled/ent-direct")
		})
	}
}
