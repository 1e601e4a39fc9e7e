package service_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/central/central/ent"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/pgxdriver"
	"github.com/central/central/internal/service"
	"github.com/central/central/internal/tenantctx"
)

// recordingStore is the real store, except that reads go through a driver
// that records each statement, so a test can EXPLAIN exactly what the
// service sent.
type recordingStore struct {
	*db.DB
	reader *ent.ReadOnlyClient
	rec    *recorder
}

func (s recordingStore) Reader(context.Context) *ent.ReadOnlyClient { return s.reader }

type recorded struct {
	query string
	args  []any
}

type recorder struct {
	dialect.Driver
	mu   sync.Mutex
	seen []recorded
}

func (r *recorder) Query(ctx context.Context, query string, args, v any) error {
	r.mu.Lock()
	a, _ := args.([]any)
	r.seen = append(r.seen, recorded{query, a})
	r.mu.Unlock()
	return r.Driver.Query(ctx, query, args, v)
}

// newRecordingStore records on the app's own driver (pgxdriver) over pool,
// so the tenant of each statement reaches row-level security as in
// production.
func newRecordingStore(t testing.TB, d *db.DB, pool *pgxpool.Pool) recordingStore {
	rec := &recorder{Driver: pgxdriver.New(pool)}
	return recordingStore{DB: d, reader: ent.NewReadOnlyClient(ent.Driver(rec)), rec: rec}
}

// adminPool opens a pgx pool as the superuser: bulk loads COPY across
// tenants, which row-level security refuses the app's roles.
func adminPool(t testing.TB, tdb *dbtest.DB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), tdb.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// profileLoad describes the synthetic users: one big tenant and many small
// ones; a rare team ("compilers", 1 user in 499) and common ones.
type profileLoad struct {
	users, smallTenants int
}

var teams = []string{"compilers", "kernel", "web", "data", "infra"}

// loadProfiles COPYs the users (with the index dropped and re-created from
// its own definition, as a bulk load should) and ANALYZEs. It returns the
// tenants, the big one first.
func loadProfiles(t testing.TB, pool *pgxpool.Pool, l profileLoad) []entityid.TenantID {
	t.Helper()
	// A million rows on a loaded 2-core machine outlast ctxT's bound.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	tenants := make([]entityid.TenantID, 1+l.smallTenants)
	rows := make([][]any, len(tenants))
	for i := range tenants {
		tenants[i] = entityid.NewTenantID()
		rows[i] = []any{tenants[i], fmt.Sprintf("t%06d", i), fmt.Sprintf("Tenant %d", i)}
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"tenants"}, []string{"id", "slug", "display_name"}, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
	var indexDef string
	if err := pool.QueryRow(ctx, `SELECT pg_get_indexdef('user_profile'::regclass)`).Scan(&indexDef); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DROP INDEX user_profile`); err != nil {
		t.Fatal(err)
	}
	locales := []string{"en-GB", "en-US", "fr-FR", "de-DE", "fi-FI", "ja-JP", "pt-BR"}
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == l.users {
			return nil, nil
		}
		tn := tenants[0]
		if i%5 != 0 { // a fifth of the users in the big tenant, the rest spread
			tn = tenants[1+i%l.smallTenants]
		}
		team := teams[1+i%(len(teams)-1)]
		if i%499 == 0 {
			team = "compilers"
		}
		p, _ := json.Marshal(map[string]any{"locale": locales[i%len(locales)], "time_zone": "UTC",
			"attributes": map[string]string{"team": team, "n": fmt.Sprint(i % 97)}})
		i++
		return []any{entityid.NewUserID(), tn, fmt.Sprintf("u%d@example.com", i), p}, nil
	})
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"users"}, []string{"id", "tenant_id", "email", "profile"}, src); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, indexDef); err != nil {
		t.Fatal(err)
	}
	// ANALYZE samples 300 rows per unit of statistics target: at 1000 it
	// reads every row of up to 300,000, so the estimates, and the plan
	// TestProfileFilterUsesGINIndex asserts, do not depend on a random
	// sample (with the default sample of 30,000 the plan flipped once in a
	// full run).
	if _, err := pool.Exec(ctx, `ALTER TABLE users ALTER COLUMN tenant_id SET STATISTICS 1000, ALTER COLUMN profile SET STATISTICS 1000`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE tenants; ANALYZE users`); err != nil {
		t.Fatal(err)
	}
	return tenants
}

// planNode is the part of EXPLAIN (VERBOSE, FORMAT JSON) the assertions
// read.
type planNode struct {
	NodeType      string     `json:"Node Type"`
	Parent        string     `json:"Parent Relationship,omitempty"`
	SubplanName   string     `json:"Subplan Name,omitempty"`
	Output        []string   `json:"Output,omitempty"`
	Relation      string     `json:"Relation Name,omitempty"`
	IndexName     string     `json:"Index Name,omitempty"`
	IndexCond     string     `json:"Index Cond,omitempty"`
	RecheckCond   string     `json:"Recheck Cond,omitempty"`
	Filter        string     `json:"Filter,omitempty"`
	OneTimeFilter string     `json:"One-Time Filter,omitempty"`
	Plans         []planNode `json:"Plans,omitempty"`
}

// initPlanRef matches how a predicate refers to an InitPlan's value: $0 in
// "InitPlan 1 (returns $0)" (PostgreSQL 15, 16), (InitPlan 1).col1 from 17.
var initPlanRef = regexp.MustCompile(`\(returns (\$\d+)\)`)

// appliesPolicy reports whether the plan evaluates the tenant_isolation
// policy: an InitPlan computes the policy's setting
// (current_setting('app.tenant_id', true)) and a predicate of the plan
// compares with its value. With the scope's own tenant_id = <tenant> in
// the query the planner may turn the policy's tenant_id = <setting> into a
// one-time filter <tenant> = <setting> (an equivalence class), which is the
// same condition.
func appliesPolicy(plan planNode) bool {
	var refs []string
	plan.walk(func(n planNode) {
		if n.Parent != "InitPlan" || !strings.Contains(strings.Join(n.Output, " "), "current_setting('"+tenantctx.Setting+"'") {
			return
		}
		if m := initPlanRef.FindStringSubmatch(n.SubplanName); m != nil {
			refs = append(refs, m[1])
		} else {
			refs = append(refs, "("+n.SubplanName+")")
		}
	})
	found := false
	plan.walk(func(n planNode) {
		for _, ref := range refs {
			for _, pred := range []string{n.Filter, n.RecheckCond, n.IndexCond, n.OneTimeFilter} {
				found = found || strings.Contains(pred, ref)
			}
		}
	})
	return found
}

// usesGINWithTenant reports a scan of users that reads the user_profile
// GIN index (below it) and applies the tenant predicate itself (filter or
// recheck) or through a tenant index in the same bitmap, and no sequential
// scan of users anywhere.
func usesGINWithTenant(plan planNode) bool {
	ok, seq := false, false
	plan.walk(func(n planNode) {
		if n.Relation != "users" {
			return
		}
		if n.NodeType == "Seq Scan" {
			seq = true
		}
		var gin, tenant bool
		tenant = strings.Contains(n.Filter, "tenant_id") || strings.Contains(n.RecheckCond, "tenant_id")
		n.walk(func(c planNode) {
			gin = gin || (c.IndexName == "user_profile" && strings.Contains(c.IndexCond, "profile @>"))
			tenant = tenant || (strings.HasPrefix(c.IndexName, "user_tenant_id") && strings.Contains(c.IndexCond, "tenant_id"))
		})
		ok = ok || (gin && tenant)
	})
	return ok && !seq
}

func (n planNode) walk(fn func(planNode)) {
	fn(n)
	for _, c := range n.Plans {
		c.walk(fn)
	}
}

// explain runs EXPLAIN (VERBOSE, FORMAT JSON) on a recorded statement with its
// recorded arguments (a custom plan for these values, as the unnamed
// statement the driver sends gets), as the app's role with the tenant set
// the way the driver sets it, so the plan includes the row-level security
// policy the real statement runs under.
func explain(t testing.TB, app *sql.DB, tenant entityid.TenantID, r recorded) planNode {
	t.Helper()
	ctx := ctxT(t)
	tx, err := app.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only; nothing to keep
	if _, err := tx.ExecContext(ctx, `SELECT set_config('`+tenantctx.Setting+`', $1, true)`, tenantctx.ID(tenant).String()); err != nil {
		t.Fatal(err)
	}
	var js []byte
	if err := tx.QueryRowContext(ctx, "EXPLAIN (VERBOSE, FORMAT JSON) "+r.query, r.args...).Scan(&js); err != nil {
		t.Fatalf("explain %s: %v", r.query, err)
	}
	var out []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal(js, &out); err != nil || len(out) != 1 {
		t.Fatalf("decode plan %s: %v", js, err)
	}
	return out[0].Plan
}

// TestProfileFilterUsesGINIndex loads 100k users over 1001 tenants and
// asserts, on the plan of the very statement ListByProfile sends, run as
// the app's role with the tenant set as the driver sets it, that the
// containment filter is answered by the GIN index on profile, the tenant
// predicate is applied to the same scan, the row-level security policy is
// evaluated, and nothing scans users sequentially. Dropping the index (or
// building the filter in a way the index cannot serve, e.g.
// profile->'attributes'->>'team' = $1) fails it; so does removing the
// bootstrap that marks jsonb @> LEAKPROOF (tenantctx.LeakproofSQL, in
// internal/pgserver and internal/dbtest): the policy's quals then come
// first and the planner scans the tenant index (user_tenant_id_id) and
// filters. EXPLAIN as the superuser (no policy) fails the policy check.
func TestProfileFilterUsesGINIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 100k users; run without -short")
	}
	e := newEnv(t)
	ctx := ctxT(t)
	const users = 100_000
	tenants := loadProfiles(t, adminPool(t, e.tdb), profileLoad{users: users, smallTenants: 1000})
	st := newRecordingStore(t, e.db, e.tdb.Pool(t))
	svc := newServices(t, st, e.keys)

	tests := []struct {
		name   string
		filter service.ProfileFilter
	}{
		{"rare attribute", service.ProfileFilter{Attributes: map[string]string{"team": "compilers"}}},
		{"rare attribute and locale", service.ProfileFilter{Locale: "en-GB", Attributes: map[string]string{"team": "compilers"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, _ := json.Marshal(tt.filter)
			var want int
			if err := e.raw.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE tenant_id = $1 AND profile @> $2::jsonb`, tenants[0], string(doc)).Scan(&want); err != nil {
				t.Fatal(err)
			}
			if want == 0 {
				t.Fatal("the load put no matching user in the big tenant; the test would prove nothing")
			}
			st.rec.seen = nil
			p, err := svc.Users.ListByProfile(ctx, tenants[0], tt.filter, entityid.UserID{}, service.MaxUserPageLimit)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) != min(want, service.MaxUserPageLimit) {
				t.Fatalf("listed %d users, the table holds %d matches", len(p.Items), want)
			}
			if len(st.rec.seen) == 0 || !strings.Contains(st.rec.seen[0].query, `"profile" @> $`) {
				t.Fatalf("the users query is not a bound containment: %+v", st.rec.seen)
			}
			for _, a := range st.rec.seen[0].args {
				if s, ok := a.(string); ok && strings.Contains(st.rec.seen[0].query, s) {
					t.Fatalf("argument %q also appears in the SQL text", s)
				}
			}
			plan := explain(t, e.tdb.OpenDB(t), tenants[0], st.rec.seen[0])
			js, _ := json.MarshalIndent(plan, "", " ")
			if !usesGINWithTenant(plan) {
				t.Fatalf("plan does not combine the GIN index with the tenant predicate on one scan of users (or scans users sequentially):\n%s", js)
			}
			if !appliesPolicy(plan) {
				t.Fatalf("plan does not evaluate the tenant_isolation policy (row-level security off for this role or table?):\n%s", js)
			}
			t.Logf("%d users, %d tenants, %d matches in the big tenant; plan:\n%s", users, len(tenants), want, js)
		})
	}
}
