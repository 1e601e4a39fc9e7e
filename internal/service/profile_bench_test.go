package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/service"
	"github.com/central/central/internal/tenantctx"
)

// BenchmarkProfileFilter reports the latency of a profile containment
// filter (attr.team=compilers in the tenant holding a fifth of the users,
// 40 matches per 100k users) at 100k and 1M users, through
// UserService.ListByProfile and through raw pgx sending the same two
// statements (users, then their tags), interleaved in one loop so that the
// ratio survives load on a shared machine. The test clusters run with
// fsync=off (internal/pgserver's Ephemeral); a read-only filter does not
// write, so fsync does not enter these figures.
//
//	go test -run '^$' -bench ProfileFilter -benchtime 200x ./internal/service/
func BenchmarkProfileFilter(b *testing.B) {
	for _, size := range []int{100_000, 1_000_000} {
		e := newEnvLogged(b, keyring(b, key1, map[sensitive.KeyRef][32]byte{key1: testKey(1)}), zap.NewNop())
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		pool := e.tdb.Pool(b)
		tenants := loadProfiles(b, adminPool(b, e.tdb), profileLoad{users: size, smallTenants: 1000})
		filter := service.ProfileFilter{Attributes: map[string]string{"team": "compilers"}}
		doc, _ := json.Marshal(filter)
		const usersSQL = `SELECT id, created_at, updated_at, tenant_id, email, display_name, status, profile
			FROM users WHERE tenant_id = $1 AND profile @> $2 ORDER BY id LIMIT 51`
		const tagsSQL = `SELECT id, created_at, updated_at, key, value, user_id FROM user_tags WHERE user_id = ANY($1) ORDER BY key`
		// Row-level security hides users from the app's role without a
		// tenant: raw pgx sends the tenant setting with each statement in
		// one batch (one round trip, one implicit transaction), exactly as
		// the app's driver does (internal/pgxdriver).
		setTenant := `SELECT set_config('` + tenantctx.Setting + `', $1, true)`
		tenant := tenantctx.ID(tenants[0]).String()
		raw := func() (int, error) {
			var ids []entityid.UserID
			bt := &pgx.Batch{}
			bt.Queue(setTenant, tenant)
			bt.Queue(usersSQL, tenants[0], string(doc)).Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var (
						id, tid          entityid.UserID
						created, updated time.Time
						email, status    string
						name             *string
						profile          []byte
					)
					if err := rows.Scan(&id, &created, &updated, &tid, &email, &name, &status, &profile); err != nil {
						return err
					}
					var p map[string]any
					if err := json.Unmarshal(profile, &p); err != nil {
						return err
					}
					ids = append(ids, id)
				}
				return rows.Err()
			})
			if err := pool.SendBatch(ctx, bt).Close(); err != nil {
				return 0, err
			}
			bt = &pgx.Batch{}
			bt.Queue(setTenant, tenant)
			bt.Queue(tagsSQL, ids).Query(func(rows pgx.Rows) error {
				_, err := pgx.CollectRows(rows, pgx.RowToMap)
				return err
			})
			err := pool.SendBatch(ctx, bt).Close()
			return min(len(ids), 50), err // the 51st row only says there is more
		}
		viaService := func() (int, error) {
			p, err := e.svc.Users.ListByProfile(ctx, tenants[0], filter, entityid.UserID{}, 50)
			return len(p.Items), err
		}
		var plan []string
		bt := &pgx.Batch{}
		bt.Queue(setTenant, tenant)
		bt.Queue("EXPLAIN (ANALYZE, COSTS OFF) "+usersSQL, tenants[0], string(doc)).Query(func(rows pgx.Rows) (err error) {
			plan, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		if err := pool.SendBatch(ctx, bt).Close(); err != nil {
			b.Fatal(err)
		}
		b.Logf("users=%d, plan of the users statement (EXPLAIN ANALYZE, fsync=off):\n%s", size, strings.Join(plan, "\n"))
		want, err := raw()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("users=%d", size), func(b *testing.B) {
			var spent [2]time.Duration
			paths := [2]func() (int, error){viaService, raw}
			for i := range b.N {
				for k := range paths {
					p := (i + k) % 2 // alternate which path goes first
					start := time.Now()
					n, err := paths[p]()
					spent[p] += time.Since(start)
					if err != nil || n != want {
						b.Fatalf("path %d: %d users, want %d: %v", p, n, want, err)
					}
				}
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(float64(spent[0].Nanoseconds())/float64(b.N), "service-ns/op")
			b.ReportMetric(float64(spent[1].Nanoseconds())/float64(b.N), "pgx-ns/op")
			b.ReportMetric(float64(spent[0])/float64(spent[1]), "service/pgx")
		})
	}
}
