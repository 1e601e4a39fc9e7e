package scale_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/central/central/ent"
	"github.com/central/central/ent/user"
	"github.com/central/central/ent/usertag"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/sensitive/keyring"
	"github.com/central/central/internal/service"
	"github.com/central/central/internal/tenantctx"
)

const tenants = 1000

// sizes are the users-table sizes measured, in increasing order: each step
// COPYs the rows it lacks, so the whole run loads 10⁶ users once.
var sizes = []int{1_000, 10_000, 100_000, 1_000_000}

// suite is the durable database, the app's DB module on it and a raw pgxpool
// (the same role) to compare with, plus the IDs loaded so far.
type suite struct {
	d       *db.DB
	rw, ro  *pgxpool.Pool
	tenants []entityid.TenantID
	users   [][]entityid.UserID // by tenant, in ID order (IDs are time-ordered)
	total   int
	rng     *rand.Rand
	created int
	svc     *service.UserService // the profile filter's path (ListByProfile)
	app     *pgxpool.Pool        // the app's role, for EXPLAIN under row-level security
}

func maxUsers(b *testing.B) int {
	v := os.Getenv("SCALE_MAX_USERS")
	if v == "" {
		return sizes[len(sizes)-1]
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < sizes[0] {
		b.Fatalf("SCALE_MAX_USERS=%q: want a number ≥ %d", v, sizes[0])
	}
	return n
}

// BenchmarkScale measures, at each size: get-by-id (a user and its tags, by
// tenant and ID, as the users service reads it), the tenant's first page of
// 100 users with tags, a deep cursor page (after the tenant's middle user),
// creating a user with two tags in a transaction, and the profile filter (a
// page of the tenant's users in one team, through the users service). Reads are interleaved
// with the same SQL on raw pgxpool; metrics: p50-us and p99-us of the app's
// path, pgx-p50-us, ent/pgx-p50 and ent/pgx-mean (ratios of medians and of
// means), rows/op.
func BenchmarkScale(b *testing.B) {
	ctx := context.Background()
	h, err := dbtest.StartEmbeddedWith(ctx, zap.NewNop(), dbtest.EmbeddedOptions{Durable: true})
	if err != nil {
		b.Fatal(err)
	}
	// Cleanups run last-registered first: the DB module stops, then the
	// database is dropped, then the cluster stops.
	b.Cleanup(func() {
		if err := h.Close(context.Background()); err != nil {
			b.Error(err)
		}
	})
	tdb := h.New(b)
	s := &suite{rng: rand.New(rand.NewPCG(1, 2))}
	pg := config.Postgres{
		ReadWrite:          config.Conn{URL: config.Secret(tdb.URL), PoolSize: 4, AppName: "scale"},
		ReadOnly:           config.Conn{URL: config.Secret(tdb.ReadOnlyURL), PoolSize: 4, AppName: "scale"},
		SlowQueryThreshold: config.DefaultSlowQueryThreshold,
	}
	s.d, err = db.Open(ctx, pg, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := s.d.Stop(context.Background()); err != nil {
			b.Error(err)
		}
	})
	// The raw pools connect as the superuser: loading COPYs rows of every
	// tenant (PostgreSQL refuses COPY FROM under row-level security), and
	// the raw reads stay the hand-written SQL without row-level security, so
	// ent/pgx includes the app's RLS cost (set_config in the statement's
	// batch, the policy). The app's paths carry their tenant in the context.
	admin, err := pgxpool.New(ctx, tdb.AdminURL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(admin.Close)
	s.rw, s.ro = admin, admin
	if s.app, err = pgxpool.New(ctx, tdb.URL); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.app.Close)
	// The users service seals idp_user_info with it; the profile filter
	// never opens a sealed value.
	kr, err := keyring.NewLocal("scale", 1, make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = kr.Close() })
	if s.svc, err = service.NewUserService(zap.NewNop(), s.d, kr); err != nil {
		b.Fatal(err)
	}
	printSettings(b, s.rw)

	limit := maxUsers(b)
	for _, n := range sizes {
		if n > limit {
			break
		}
		start := time.Now()
		s.load(b, n)
		fmt.Printf("scale: users=%d loaded in %s; load average %s\n", n, time.Since(start).Round(time.Millisecond), loadAvg())
		if n == sizes[0] {
			// Fill connection, statement and buffer caches first, so the
			// smallest size is not charged for them; reported under
			// warmup/, which the charts ignore.
			b.Run("warmup/get-by-id", func(b *testing.B) { s.getByID(b) })
			b.Run("warmup/list-first", func(b *testing.B) { s.list(b, false) })
			b.Run("warmup/create", func(b *testing.B) { s.create(b) })
			s.dropCreated(b)
		}
		name := "users=" + strconv.Itoa(n)
		b.Run(name+"/get-by-id", func(b *testing.B) { s.getByID(b) })
		b.Run(name+"/list-first", func(b *testing.B) { s.list(b, false) })
		b.Run(name+"/list-deep", func(b *testing.B) { s.list(b, true) })
		b.Run(name+"/create", func(b *testing.B) { s.create(b) })
		s.explainProfile(b, n)
		b.Run(name+"/profile-filter", func(b *testing.B) { s.profileFilter(b) })
		s.dropCreated(b)
	}
}

// printSettings prints the durability settings and server facts every
// figure of the run depends on.
func printSettings(b *testing.B, pool *pgxpool.Pool) {
	var parts []string
	for _, n := range []string{"server_version", "fsync", "full_page_writes", "synchronous_commit", "wal_level", "shared_buffers", "max_connections"} {
		var v string
		if err := pool.QueryRow(context.Background(), "SELECT current_setting($1)", n).Scan(&v); err != nil {
			b.Fatal(err)
		}
		parts = append(parts, n+"="+v)
	}
	fmt.Printf("scale: settings %s\n", strings.Join(parts, " "))
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// load grows the data set to n users (and one tag each) with COPY, then
// VACUUMs (ANALYZE) and CHECKPOINTs (see the end).
func (s *suite) load(b *testing.B, n int) {
	ctx := context.Background()
	if s.tenants == nil {
		now := time.Now()
		rows := make([][]any, tenants)
		for i := range rows {
			id := entityid.NewTenantID()
			s.tenants = append(s.tenants, id)
			rows[i] = []any{id, now, now, fmt.Sprintf("t%04d", i), fmt.Sprintf("Tenant %d", i)}
		}
		if _, err := s.rw.CopyFrom(ctx, pgx.Identifier{"tenants"}, []string{"id", "created_at", "updated_at", "slug", "display_name"}, pgx.CopyFromRows(rows)); err != nil {
			b.Fatal(err)
		}
		s.users = make([][]entityid.UserID, tenants)
	}
	add := n - s.total
	if add <= 0 {
		return
	}
	now := time.Now()
	userIDs := make([]entityid.UserID, add)
	for i := range userIDs {
		userIDs[i] = entityid.NewUserID()
	}
	first := s.total
	ur := func(i int) []any {
		k := first + i
		t := k % tenants
		return []any{userIDs[i], now, now, fmt.Sprintf("u%07d@t%04d.example", k, t), fmt.Sprintf("User %d", k), s.tenants[t], profileOf(k)}
	}
	if _, err := s.rw.CopyFrom(ctx, pgx.Identifier{"users"}, []string{"id", "created_at", "updated_at", "email", "display_name", "tenant_id", "profile"},
		&rowSource{n: add, row: ur}); err != nil {
		b.Fatal(err)
	}
	tr := func(i int) []any {
		return []any{entityid.NewUserTagID(), now, now, "team", "t" + strconv.Itoa(i%7), userIDs[i]}
	}
	if _, err := s.rw.CopyFrom(ctx, pgx.Identifier{"user_tags"}, []string{"id", "created_at", "updated_at", "key", "value", "user_id"},
		&rowSource{n: add, row: tr}); err != nil {
		b.Fatal(err)
	}
	for i, id := range userIDs {
		t := (first + i) % tenants
		s.users[t] = append(s.users[t], id)
	}
	s.total = n
	// VACUUM as well as ANALYZE, then CHECKPOINT: rows fresh from COPY have
	// no hint bits, so without it every get of a row not read before (most
	// of them at 10⁶) set them and dirtied its page, and autovacuum and the
	// checkpointer would still be working through the load while the next
	// size is measured. The figures are of the steady state a table read
	// many times reaches, not of the aftermath of a bulk load.
	if _, err := s.rw.Exec(ctx, "VACUUM (ANALYZE) tenants, users, user_tags"); err != nil {
		b.Fatal(err)
	}
	if _, err := s.rw.Exec(ctx, "CHECKPOINT"); err != nil {
		b.Fatal(err)
	}
}

// teams is how many values the profile attribute "team" takes: a team
// filter matches one user in teams of a tenant's users (see profileOf).
const teams = 10

// profileOf is the profile of the k-th user loaded: a locale and a team
// attribute, the team cycling within each tenant (users are spread over
// tenants by k % tenants), so a tenant of m users has m/teams in each team.
func profileOf(k int) string {
	return fmt.Sprintf(`{"locale":%q,"attributes":{"team":"team-%d"}}`, []string{"en-GB", "fr-FR", "de-DE"}[k%3], (k/tenants)%teams)
}

// rowSource is a pgx.CopyFromSource that builds rows on demand, so a
// million rows are never held at once.
type rowSource struct {
	n, i int
	row  func(i int) []any
	cur  []any
}

func (r *rowSource) Next() bool {
	if r.i >= r.n {
		return false
	}
	r.cur = r.row(r.i)
	r.i++
	return true
}
func (r *rowSource) Values() ([]any, error) { return r.cur, nil }
func (r *rowSource) Err() error             { return nil }

// pick returns a random tenant (with users) and user of it.
func (s *suite) pick() (int, entityid.UserID) {
	t := s.rng.IntN(tenants)
	us := s.users[t]
	return t, us[s.rng.IntN(len(us))]
}

// timing collects per-operation durations of the app's path and the raw
// path, interleaved.
type timing struct {
	app, raw []time.Duration
	rows     int
}

func (tm *timing) report(b *testing.B) {
	if len(tm.app) == 0 {
		return
	}
	q := func(ds []time.Duration, p float64) float64 {
		s := slices.Clone(ds)
		slices.Sort(s)
		return float64(s[int(p*float64(len(s)-1))].Nanoseconds()) / 1e3
	}
	mean := func(ds []time.Duration) float64 {
		var t time.Duration
		for _, d := range ds {
			t += d
		}
		return float64(t.Nanoseconds()) / float64(len(ds))
	}
	b.ReportMetric(q(tm.app, .5), "p50-us")
	b.ReportMetric(q(tm.app, .99), "p99-us")
	if len(tm.raw) > 0 {
		b.ReportMetric(q(tm.raw, .5), "pgx-p50-us")
		// Medians: on a shared machine a few stalls move the means.
		b.ReportMetric(q(tm.app, .5)/q(tm.raw, .5), "ent/pgx-p50")
		b.ReportMetric(mean(tm.app)/mean(tm.raw), "ent/pgx-mean")
	}
	b.ReportMetric(float64(tm.rows)/float64(len(tm.app)), "rows/op")
}

const userCols = "id, created_at, updated_at, tenant_id, email, display_name, status"

// getByID reads a user and its tags as the users service does (two
// queries), interleaved with the same two queries on pgxpool.
func (s *suite) getByID(b *testing.B) {
	ctx := context.Background()
	var tm timing
	i := 0
	for b.Loop() {
		t, id := s.pick()
		tid := s.tenants[t]
		ctx := tenantctx.With(ctx, tid)
		app := func() {
			u, err := s.d.Reader(ctx).ForTenant(tid).User.Query().
				Select(user.FieldID, user.FieldCreatedAt, user.FieldUpdatedAt, user.FieldTenantID, user.FieldEmail, user.FieldDisplayName, user.FieldStatus).
				Where(user.ID(id)).
				WithTags(func(q *ent.UserTagQuery) { q.Order(ent.Asc(usertag.FieldKey)) }).
				Only(ctx)
			if err != nil || len(u.Edges.Tags) != 1 {
				b.Fatal(err)
			}
			tm.rows++
		}
		raw := func() {
			var r userRow
			if err := s.ro.QueryRow(ctx, "SELECT "+userCols+" FROM users WHERE id = $1 AND tenant_id = $2", id, tid).Scan(r.dest()...); err != nil {
				b.Fatal(err)
			}
			if _, err := scanTags(ctx, s.ro, []entityid.UserID{r.ID}); err != nil {
				b.Fatal(err)
			}
		}
		tm.run(i, app, raw)
		i++
	}
	tm.report(b)
}

// run times app and raw, alternating which goes first.
func (tm *timing) run(i int, app, raw func()) {
	first, second := app, raw
	if i%2 == 1 {
		first, second = raw, app
	}
	var d [2]time.Duration
	for k, f := range []func(){first, second} {
		start := time.Now()
		f()
		d[k] = time.Since(start)
	}
	if i%2 == 1 {
		d[0], d[1] = d[1], d[0]
	}
	tm.app = append(tm.app, d[0])
	tm.raw = append(tm.raw, d[1])
}

// list reads a page of 100 users with their tags: the tenant's first page,
// or (deep) the page after the tenant's middle user.
func (s *suite) list(b *testing.B, deep bool) {
	ctx := context.Background()
	var tm timing
	i := 0
	for b.Loop() {
		t := s.rng.IntN(tenants)
		tid := s.tenants[t]
		ctx := tenantctx.With(ctx, tid)
		var after entityid.UserID
		if deep {
			after = s.users[t][len(s.users[t])/2]
		}
		app := func() {
			q := s.d.Reader(ctx).ForTenant(tid).User.Query().
				Select(user.FieldID, user.FieldCreatedAt, user.FieldUpdatedAt, user.FieldTenantID, user.FieldEmail, user.FieldDisplayName, user.FieldStatus).
				WithTags(func(q *ent.UserTagQuery) { q.Order(ent.Asc(usertag.FieldKey)) }).
				Order(ent.Asc(user.FieldID)).
				Limit(101)
			if deep {
				q.Where(user.IDGT(after))
			}
			us, err := q.All(ctx)
			if err != nil {
				b.Fatal(err)
			}
			tm.rows += len(us)
		}
		raw := func() {
			query := "SELECT " + userCols + " FROM users WHERE tenant_id = $1 ORDER BY id LIMIT 101"
			args := []any{tid}
			if deep {
				query = "SELECT " + userCols + " FROM users WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT 101"
				args = append(args, after)
			}
			rows, err := s.ro.Query(ctx, query, args...)
			if err != nil {
				b.Fatal(err)
			}
			var ids []entityid.UserID
			for rows.Next() {
				r := new(userRow)
				if err := rows.Scan(r.dest()...); err != nil {
					b.Fatal(err)
				}
				ids = append(ids, r.ID)
			}
			if err := rows.Err(); err != nil {
				b.Fatal(err)
			}
			if len(ids) > 0 {
				if _, err := scanTags(ctx, s.ro, ids); err != nil {
					b.Fatal(err)
				}
			}
		}
		tm.run(i, app, raw)
		i++
	}
	tm.report(b)
}

// create inserts a user and two tags in one transaction through the app's
// DB (WithTx, ent), as the users service does minus its audit event. The
// rows are deleted after the size's benchmarks (dropCreated), so sizes stay
// what they say.
func (s *suite) create(b *testing.B) {
	ctx := context.Background()
	var tm timing
	for b.Loop() {
		t := s.rng.IntN(tenants)
		s.created++
		ctx := tenantctx.With(ctx, s.tenants[t])
		email := fmt.Sprintf("new%07d@t%04d.example", s.created, t)
		start := time.Now()
		err := s.d.WithTx(ctx, func(ctx context.Context) error {
			w := s.d.Writer(ctx).ForTenant(s.tenants[t])
			u, err := w.User.Create().SetEmail(email).SetDisplayName("New").Save(ctx)
			if err != nil {
				return err
			}
			_, err = w.UserTag.CreateBulk(
				w.UserTag.Create().SetUserID(u.ID).SetKey("role").SetValue("dev"),
				w.UserTag.Create().SetUserID(u.ID).SetKey("team").SetValue("red"),
			).Save(ctx)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		tm.app = append(tm.app, time.Since(start))
		tm.rows++
	}
	tm.report(b)
}

func (s *suite) dropCreated(b *testing.B) {
	if _, err := s.rw.Exec(context.Background(), "DELETE FROM users WHERE email LIKE 'new%'"); err != nil {
		b.Fatal(err)
	}
}

type userRow struct {
	ID          entityid.UserID
	CreatedAt   time.Time
	UpdatedAt   time.Time
	TenantID    entityid.TenantID
	Email       string
	DisplayName *string
	Status      string
}

func (r *userRow) dest() []any {
	return []any{&r.ID, &r.CreatedAt, &r.UpdatedAt, &r.TenantID, &r.Email, &r.DisplayName, &r.Status}
}

// scanTags reads the tags of users the way ent's eager loading does: one
// query with IN over the user IDs.
func scanTags(ctx context.Context, pool *pgxpool.Pool, ids []entityid.UserID) (int, error) {
	rows, err := pool.Query(ctx, "SELECT id, created_at, updated_at, key, value, user_id FROM user_tags WHERE user_id = ANY($1) ORDER BY key", ids)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var (
			id         entityid.UserTagID
			c, u       time.Time
			key, value string
			uid        entityid.UserID
		)
		if err := rows.Scan(&id, &c, &u, &key, &value, &uid); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// profileFilter lists a page of 100 of a tenant's users whose profile
// contains {"attributes":{"team":…}} through the users service
// (ListByProfile: ent, profile @> $doc under row-level security, the GIN
// index on profile available), interleaved with the same two queries on
// raw pgxpool (the profile decoded as the service decodes it).
func (s *suite) profileFilter(b *testing.B) {
	ctx := context.Background()
	var tm timing
	i := 0
	for b.Loop() {
		t := s.rng.IntN(tenants)
		tid := s.tenants[t]
		ctx := tenantctx.With(ctx, tid)
		filter := service.ProfileFilter{Attributes: map[string]string{"team": fmt.Sprintf("team-%d", s.rng.IntN(teams))}}
		doc, err := json.Marshal(filter)
		if err != nil {
			b.Fatal(err)
		}
		var got, want int
		app := func() {
			p, err := s.svc.ListByProfile(ctx, tid, filter, entityid.UserID{}, 100)
			if err != nil {
				b.Fatal(err)
			}
			got = len(p.Items)
			tm.rows += got
		}
		raw := func() {
			rows, err := s.ro.Query(ctx, "SELECT "+userCols+", profile FROM users WHERE tenant_id = $1 AND profile @> $2 ORDER BY id LIMIT 101", tid, string(doc))
			if err != nil {
				b.Fatal(err)
			}
			var ids []entityid.UserID
			for rows.Next() {
				r := new(userRow)
				var raw []byte
				if err := rows.Scan(append(r.dest(), &raw)...); err != nil {
					b.Fatal(err)
				}
				var p jsonb.UserProfile
				if err := json.Unmarshal(raw, &p); err != nil {
					b.Fatal(err)
				}
				ids = append(ids, r.ID)
			}
			if err := rows.Err(); err != nil {
				b.Fatal(err)
			}
			if len(ids) > 0 {
				if _, err := scanTags(ctx, s.ro, ids); err != nil {
					b.Fatal(err)
				}
			}
			want = min(len(ids), 100) // the 101st row only says there is more
		}
		tm.run(i, app, raw)
		if got != want {
			b.Fatalf("tenant %d, %s: the service listed %d users, raw SQL %d", t, doc, got, want)
		}
		i++
	}
	tm.report(b)
}

// explainProfile prints the plan PostgreSQL picks for the profile filter's
// users query at this size, as the app's role under row-level security
// (the tenant set in the same transaction), and how many users of a
// tenant one team filter matches: whether the GIN index on profile is used
// is the planner's choice, which the figures depend on.
func (s *suite) explainProfile(b *testing.B, n int) {
	ctx := context.Background()
	tid := s.tenants[0]
	tx, err := s.app.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, tenantctx.SetSQL, tenantctx.ID(tid).String()); err != nil {
		b.Fatal(err)
	}
	rows, err := tx.Query(ctx, "EXPLAIN (COSTS OFF) SELECT "+userCols+", profile FROM users WHERE tenant_id = $1 AND profile @> $2 ORDER BY id LIMIT 101",
		tid, `{"attributes":{"team":"team-0"}}`)
	if err != nil {
		b.Fatal(err)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatal(err)
	}
	var matches int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM users WHERE tenant_id = $1 AND profile @> '{"attributes":{"team":"team-0"}}'`, tid).Scan(&matches); err != nil {
		b.Fatal(err)
	}
	for i := range plan {
		plan[i] = strings.TrimSpace(plan[i])
	}
	fmt.Printf("scale: users=%d profile-filter: %d of the tenant's users match; plan: %s\n", n, matches, strings.Join(plan, " | "))
}
