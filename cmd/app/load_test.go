package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/entityid"
)

// loadOptions bound one load run: every loop is limited by a count and a
// time.
type loadOptions struct {
	phase   string   // part of every email, so runs on one database differ
	tenants []string // tenant IDs the writers spread their users over
	writers int
	readers int
	// Each writer makes at least minWrites writes, then goes on until
	// duration has passed, and never makes more than maxWrites.
	minWrites, maxWrites int
	duration             time.Duration
	// interrupt, when set, is called once after interruptAfter (it sends
	// SIGTERM or SIGKILL). From then on a request that fails to get an answer
	// ends its worker and is recorded as unknown: it may or may not have
	// been applied. Before it, and without it, every failure fails the test.
	interrupt      func() error
	interruptAfter time.Duration
}

// userRec is everything the load asked of one user, and what was
// acknowledged.
type userRec struct {
	email, tenant string
	initial       map[string]string // tags of the create
	acked         bool              // the create answered 201
	id, token     string            // from the 201
	set           map[string]string // acknowledged PUTs (each key set once)
	maybeSet      map[string]string // PUTs without an answer
	deleted       map[string]bool   // acknowledged DELETEs
	maybeDeleted  map[string]bool   // DELETEs without an answer
	live          []string          // acknowledged set keys not deleted
}

// loadResult is what a run did.
type loadResult struct {
	users          []*userRec
	writes, reads  int // acknowledged requests
	afterInterrupt int // of which answered after the interrupt was sent (in flight then)
	unanswered     map[string]int
	elapsed        time.Duration
	writeLat       []time.Duration
	readLat        []time.Duration
	interruptedAt  time.Time
	// lost are the requests without an answer after the interrupt, by
	// X-Request-ID: the test checks the server never accepted them.
	lost []lostRequest
}

// lostRequest is a request that got no answer after the interrupt.
type lostRequest struct {
	id, method, path string
	at               time.Time
	err              error
}

// published is an acknowledged user readers may read.
type published struct {
	tenant, id, token string
	initial           map[string]string
}

type loadRun struct {
	t           *testing.T
	a           *appProc
	o           loadOptions
	interrupted atomic.Bool
	interruptAt atomic.Pointer[time.Time]
	requestSeq  atomic.Int64
	writersLeft atomic.Int32
	failures    atomic.Int32

	mu         sync.Mutex
	pub        []published
	res        loadResult
	unanswered map[string]int
}

// runLoad runs concurrent writers (users with tags, tag sets and deletes)
// and readers (users with the write's consistency token, user lists,
// tenants) against a.
func runLoad(t *testing.T, a *appProc, o loadOptions) loadResult {
	t.Helper()
	r := &loadRun{t: t, a: a, o: o, unanswered: map[string]int{}}
	r.writersLeft.Store(int32(o.writers))
	ctx, cancel := context.WithTimeout(context.Background(), o.duration+time.Minute)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range o.writers {
		wg.Go(func() { r.writer(ctx, w) })
	}
	for i := range o.readers {
		wg.Go(func() { r.reader(ctx, i) })
	}
	if o.interrupt != nil {
		wg.Go(func() {
			select {
			case <-time.After(o.interruptAfter):
			case <-ctx.Done():
				return
			}
			now := time.Now()
			r.interruptAt.Store(&now)
			r.interrupted.Store(true)
			if err := o.interrupt(); err != nil {
				t.Errorf("interrupt: %v", err)
			}
		})
	}
	wg.Wait()
	r.res.elapsed = time.Since(start)
	r.res.unanswered = r.unanswered
	if at := r.interruptAt.Load(); at != nil {
		r.res.interruptedAt = *at
	}
	if o.interrupt != nil && !r.interrupted.Load() {
		t.Errorf("the load ended before the interrupt at %s", o.interruptAfter)
	}
	return r.res
}

// failf records a failure, reporting only the first few in full.
func (r *loadRun) failf(format string, args ...any) {
	if n := r.failures.Add(1); n <= 10 {
		r.t.Errorf(format, args...)
	} else if n == 11 {
		r.t.Error("more load failures follow; not reporting them")
	}
}

// outcome classifies one request.
type outcome int

const (
	answered   outcome = iota // got the expected status
	unanswered                // no answer after the interrupt: stop the worker
	failed                    // anything else: the test failed; stop the worker
)

// do sends one request and classifies it; lat collects the latency of
// answered requests. It returns the answer's X-Consistency-Token.
func (r *loadRun) do(ctx context.Context, kind, method, path string, body any, token string, want int, out any, lat *[]time.Duration) (outcome, string) {
	// Every request carries its own id, so that a request without an
	// answer can be looked up in the server's access log.
	id := fmt.Sprintf("%s-%d", r.o.phase, r.requestSeq.Add(1))
	h := http.Header{"X-Request-Id": {id}}
	if token != "" {
		h.Set("X-Consistency-Token", token)
	}
	start := time.Now()
	resp, err := r.a.request(ctx, method, path, body, h)
	if err != nil {
		if r.interrupted.Load() {
			r.mu.Lock()
			r.unanswered[errorKind(err)]++
			r.res.lost = append(r.res.lost, lostRequest{id: id, method: method, path: path, at: time.Now(), err: err})
			r.mu.Unlock()
			return unanswered, ""
		}
		r.failf("%s %s: %v", method, path, err)
		return failed, ""
	}
	if resp.status != want {
		r.failf("%s %s: status %d, want %d: %s", method, path, resp.status, want, resp.body)
		return failed, ""
	}
	if out != nil {
		if err := json.Unmarshal(resp.body, out); err != nil {
			r.failf("%s %s: decode %s: %v", method, path, resp.body, err)
			return failed, ""
		}
	}
	*lat = append(*lat, time.Since(start))
	r.mu.Lock()
	if kind == "write" {
		r.res.writes++
	} else {
		r.res.reads++
	}
	if r.interrupted.Load() {
		r.res.afterInterrupt++
	}
	r.mu.Unlock()
	return answered, resp.header.Get("X-Consistency-Token")
}

func errorKind(err error) string {
	s := err.Error()
	for _, k := range []string{"connection refused", "connection reset", "EOF", "broken pipe", "server closed idle connection"} {
		if strings.Contains(s, k) {
			return k
		}
	}
	return s
}

func (r *loadRun) writer(ctx context.Context, w int) {
	defer r.writersLeft.Add(-1)
	rng := rand.New(rand.NewPCG(uint64(w), 42))
	var (
		mine []*userRec // created by this writer
		ok   []*userRec // of which acknowledged
		lat  []time.Duration
	)
	defer func() {
		r.mu.Lock()
		r.res.users = append(r.res.users, mine...)
		r.res.writeLat = append(r.res.writeLat, lat...)
		r.mu.Unlock()
	}()
	start := time.Now()
	for i := range r.o.maxWrites {
		if i >= r.o.minWrites && time.Since(start) >= r.o.duration {
			return
		}
		var res outcome
		switch {
		case len(ok) == 0 || i%3 == 0:
			u := &userRec{
				email:  fmt.Sprintf("%s-w%d-%d@load.example", r.o.phase, w, i),
				tenant: r.o.tenants[(w+i)%len(r.o.tenants)],
				initial: map[string]string{
					"writer": strconv.Itoa(w), "seq": strconv.Itoa(i), "phase": r.o.phase,
				},
				set: map[string]string{}, maybeSet: map[string]string{},
				deleted: map[string]bool{}, maybeDeleted: map[string]bool{},
			}
			mine = append(mine, u)
			var v userView
			var token string
			res, token = r.do(ctx, "write", http.MethodPost, "/v1/tenants/"+u.tenant+"/users",
				map[string]any{"email": u.email, "display_name": "Load " + u.email, "tags": u.initial}, "", http.StatusCreated, &v, &lat)
			if res == answered {
				if v.Email != u.email || v.TenantID != u.tenant || !sameTags(v.tagMap(), u.initial) {
					r.failf("create %s answered %+v", u.email, v)
					return
				}
				if token == "" {
					r.failf("create %s returned no X-Consistency-Token", u.email)
				}
				u.acked, u.id, u.token = true, v.ID, token
				ok = append(ok, u)
				r.mu.Lock()
				r.pub = append(r.pub, published{tenant: u.tenant, id: u.id, token: token, initial: u.initial})
				r.mu.Unlock()
			}
		case i%5 == 4 && anyLive(ok):
			var u *userRec
			for u == nil || len(u.live) == 0 {
				u = ok[rng.IntN(len(ok))]
			}
			k := u.live[rng.IntN(len(u.live))]
			res, _ = r.do(ctx, "write", http.MethodDelete, "/v1/tenants/"+u.tenant+"/users/"+u.id+"/tags/"+k, nil, "", http.StatusNoContent, nil, &lat)
			switch res {
			case answered:
				u.deleted[k] = true
				u.live = slices.DeleteFunc(u.live, func(s string) bool { return s == k })
			case unanswered:
				u.maybeDeleted[k] = true
			}
		default:
			u := ok[rng.IntN(len(ok))]
			k, v := fmt.Sprintf("k%d", i), fmt.Sprintf("v%d-%d", w, i)
			var tag tagView
			res, _ = r.do(ctx, "write", http.MethodPut, "/v1/tenants/"+u.tenant+"/users/"+u.id+"/tags/"+k,
				map[string]string{"value": v}, "", http.StatusOK, &tag, &lat)
			switch res {
			case answered:
				if tag.Key != k || tag.Value != v {
					r.failf("PUT tag %s=%s answered %+v", k, v, tag)
					return
				}
				u.set[k] = v
				u.live = append(u.live, k)
			case unanswered:
				u.maybeSet[k] = v
			}
		}
		if res != answered {
			return
		}
	}
}

func anyLive(us []*userRec) bool {
	return slices.ContainsFunc(us, func(u *userRec) bool { return len(u.live) > 0 })
}

func (r *loadRun) reader(ctx context.Context, id int) {
	rng := rand.New(rand.NewPCG(uint64(id), 7))
	var lat []time.Duration
	defer func() {
		r.mu.Lock()
		r.res.readLat = append(r.res.readLat, lat...)
		r.mu.Unlock()
	}()
	for i := 0; r.writersLeft.Load() > 0 && i < 100*r.o.maxWrites; i++ {
		r.mu.Lock()
		var p published
		if n := len(r.pub); n > 0 {
			p = r.pub[rng.IntN(n)]
		}
		r.mu.Unlock()
		if p.id == "" {
			time.Sleep(time.Millisecond)
			continue
		}
		// Every read sends back the token of the user's create, which
		// covers the tenant too: with a replica, a read without it may
		// not see them yet.
		var res outcome
		switch i % 4 {
		case 0:
			var pg pageView[userView]
			res, _ = r.do(ctx, "read", http.MethodGet, "/v1/tenants/"+p.tenant+"/users?limit=20", nil, p.token, http.StatusOK, &pg, &lat)
		case 1:
			res, _ = r.do(ctx, "read", http.MethodGet, "/v1/tenants/"+p.tenant, nil, p.token, http.StatusOK, nil, &lat)
		default:
			var u userView
			res, _ = r.do(ctx, "read", http.MethodGet, "/v1/tenants/"+p.tenant+"/users/"+p.id, nil, p.token, http.StatusOK, &u, &lat)
			if res == answered {
				tags := u.tagMap()
				for k, v := range p.initial {
					if tags[k] != v {
						r.failf("user %s: tag %s = %q, want %q (tags %v)", p.id, k, tags[k], v, tags)
					}
				}
			}
		}
		if res != answered {
			return
		}
	}
}

func sameTags(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// summary is the run's throughput and latencies, for the test log.
func (res loadResult) summary() string {
	pct := func(d []time.Duration, p float64) time.Duration {
		if len(d) == 0 {
			return 0
		}
		s := slices.Clone(d)
		slices.Sort(s)
		return s[min(len(s)-1, int(float64(len(s))*p))]
	}
	total := res.writes + res.reads
	return fmt.Sprintf("%d requests in %s (%.0f/s): %d writes (p50 %s, p99 %s), %d reads (p50 %s, p99 %s)",
		total, res.elapsed.Round(time.Millisecond), float64(total)/res.elapsed.Seconds(),
		res.writes, pct(res.writeLat, 0.5).Round(10*time.Microsecond), pct(res.writeLat, 0.99).Round(10*time.Microsecond),
		res.reads, pct(res.readLat, 0.5).Round(10*time.Microsecond), pct(res.readLat, 0.99).Round(10*time.Microsecond))
}

// dbState is what the database holds for the load's tenants.
type dbState struct {
	users map[string]stateUser // by email
	audit *auditState          // nil when read through the API
}

type stateUser struct {
	id, tenant string
	tags       map[string]string
}

type auditState struct {
	creates    map[string][]string // user id → "tags" detail of each user.create event
	tagSets    map[string]int      // user id → user_tag.set events
	tagDeletes map[string]int      // user id → user_tag.delete events
}

// stateFromAPI reads the tenants' users through the API, page by page.
func stateFromAPI(t *testing.T, a *appProc, tenants []string) dbState {
	t.Helper()
	st := dbState{users: map[string]stateUser{}}
	for _, tenant := range tenants {
		path := "/v1/tenants/" + tenant + "/users?limit=100"
		for range 1000 {
			var p pageView[userView]
			a.must(t, http.MethodGet, path, nil, nil, http.StatusOK, &p)
			for _, u := range p.Items {
				st.users[u.Email] = stateUser{id: u.ID, tenant: u.TenantID, tags: u.tagMap()}
			}
			if p.Next == "" {
				break
			}
			path = "/v1/tenants/" + tenant + "/users?limit=100&after=" + p.Next
		}
	}
	return st
}

// stateFromSQL reads the tenants' users, tags and audit events directly;
// url must bypass row-level security (a superuser).
func stateFromSQL(t *testing.T, url string, tenants []string) dbState {
	t.Helper()
	conn := connect(t, url)
	ctx := context.Background()
	uuids := make([]string, len(tenants))
	for i, s := range tenants {
		id, err := entityid.ParseTenantID(s)
		if err != nil {
			t.Fatal(err)
		}
		uuids[i] = id.UUIDString()
	}
	st := dbState{users: map[string]stateUser{}, audit: &auditState{
		creates: map[string][]string{}, tagSets: map[string]int{}, tagDeletes: map[string]int{},
	}}
	rows, err := conn.Query(ctx, `SELECT u.id, u.tenant_id, u.email, t.key, t.value
		FROM users u LEFT JOIN user_tags t ON t.user_id = u.id
		WHERE u.tenant_id = ANY($1::uuid[])`, uuids)
	if err != nil {
		t.Fatal(err)
	}
	var (
		uid, tid   [16]byte
		email      string
		key, value *string
	)
	_, err = pgx.ForEachRow(rows, []any{&uid, &tid, &email, &key, &value}, func() error {
		u, ok := st.users[email]
		if !ok {
			u = stateUser{id: entityid.UserIDFromUUID(uid).String(), tenant: entityid.TenantIDFromUUID(tid).String(), tags: map[string]string{}}
			st.users[email] = u
		}
		if key != nil {
			u.tags[*key] = *value
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, err = conn.Query(ctx, `SELECT action, entity_id, coalesce(details->>'tags', ''), coalesce(details->>'user_id', '')
		FROM audit_events
		WHERE tenant_id = ANY($1::uuid[]) AND action IN ('user.create', 'user_tag.set', 'user_tag.delete')`, uuids)
	if err != nil {
		t.Fatal(err)
	}
	var action, entity, tags, user string
	_, err = pgx.ForEachRow(rows, []any{&action, &entity, &tags, &user}, func() error {
		switch action {
		case "user.create":
			st.audit.creates[entity] = append(st.audit.creates[entity], tags)
		case "user_tag.set":
			st.audit.tagSets[user]++
		case "user_tag.delete":
			st.audit.tagDeletes[user]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// verify checks the database state against what the load did: every
// acknowledged write is there; a write without an answer is either wholly
// there or wholly absent (a user always with all its initial tags); nothing
// else is there; and, from SQL, every user has exactly one creation audit
// event and as many tag events as tag writes.
func verify(t *testing.T, users []*userRec, st dbState) {
	t.Helper()
	errs := 0
	fail := func(format string, args ...any) {
		t.Helper()
		if errs++; errs <= 20 {
			t.Errorf(format, args...)
		}
	}
	byEmail := map[string]*userRec{}
	acked, unknownPresent, unknownAbsent := 0, 0, 0
	for _, u := range users {
		byEmail[u.email] = u
		got, ok := st.users[u.email]
		switch {
		case u.acked && !ok:
			fail("acknowledged user %s (%s) is missing", u.email, u.id)
			continue
		case !ok:
			unknownAbsent++
			continue
		case u.acked:
			acked++
			if got.id != u.id {
				fail("user %s: id %s, want the acknowledged %s", u.email, got.id, u.id)
			}
		default:
			unknownPresent++
		}
		if got.tenant != u.tenant {
			fail("user %s: tenant %s, want %s", u.email, got.tenant, u.tenant)
		}
		for k, v := range u.initial {
			if got.tags[k] != v {
				fail("user %s: initial tag %s = %q, want %q (a create is all or nothing)", u.email, k, got.tags[k], v)
			}
		}
		for k, v := range u.set {
			if !u.deleted[k] && !u.maybeDeleted[k] && got.tags[k] != v {
				fail("user %s: acknowledged tag %s=%s is missing (tags %v)", u.email, k, v, got.tags)
			}
		}
		for k := range u.deleted {
			if _, ok := got.tags[k]; ok {
				fail("user %s: tag %s is back after an acknowledged delete", u.email, k)
			}
		}
		for k, v := range got.tags {
			if want, ok := u.initial[k]; ok && want == v {
				continue
			}
			if want, ok := u.set[k]; ok && want == v {
				continue
			}
			if want, ok := u.maybeSet[k]; ok && want == v {
				continue
			}
			fail("user %s: tag %s=%s was never written", u.email, k, v)
		}
		if st.audit != nil {
			if ev := st.audit.creates[got.id]; len(ev) != 1 || ev[0] != strconv.Itoa(len(u.initial)) {
				fail("user %s: user.create audit events %v, want one with tags=%d", u.email, ev, len(u.initial))
			}
			if n := st.audit.tagSets[got.id]; n < len(u.set) || n > len(u.set)+len(u.maybeSet) {
				fail("user %s: %d user_tag.set events for %d acknowledged (+%d unanswered) tag writes", u.email, n, len(u.set), len(u.maybeSet))
			}
			if n := st.audit.tagDeletes[got.id]; n < len(u.deleted) || n > len(u.deleted)+len(u.maybeDeleted) {
				fail("user %s: %d user_tag.delete events for %d acknowledged (+%d unanswered) deletes", u.email, n, len(u.deleted), len(u.maybeDeleted))
			}
		}
	}
	ids := map[string]bool{}
	for email, got := range st.users {
		ids[got.id] = true
		if byEmail[email] == nil {
			fail("user %s (%s) exists but the load never created it", email, got.id)
		}
	}
	if st.audit != nil {
		for id := range st.audit.creates {
			if !ids[id] {
				fail("user.create audit event for %s, which does not exist (the event committed without its user)", id)
			}
		}
	}
	if errs > 20 {
		t.Errorf("... %d inconsistencies in all", errs)
	}
	t.Logf("verified %d acknowledged users; of the unanswered creates %d are present (whole), %d absent", acked, unknownPresent, unknownAbsent)
}

// createTenants makes n tenants for a load.
func createTenants(t *testing.T, a *appProc, prefix string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = a.createTenant(t, fmt.Sprintf("%s-%d", prefix, i)).ID
	}
	return ids
}

// TestLoad runs a bounded load of concurrent writers and readers over
// loopback against an external database: no request fails, and every
// acknowledged write is in the database afterwards.
func TestLoad(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	a := startApp(t, map[string]string{
		"POSTGRES_READWRITE_URL": db.URL,
		"POSTGRES_READONLY_URL":  db.ReadOnlyURL,
		"DATA_DIR":               t.TempDir(),
		"LOG_LEVEL":              "warn",
		"SKIP_SEEDS":             "true",
	})
	tenants := createTenants(t, a, "load", 4)
	res := runLoad(t, a, loadOptions{
		phase: "load", tenants: tenants, writers: 8, readers: 4,
		minWrites: 25, maxWrites: 400, duration: 2 * time.Second,
	})
	t.Log(res.summary())
	if code := a.stop(syscall.SIGTERM); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
	for _, u := range res.users {
		if !u.acked || len(u.maybeSet)+len(u.maybeDeleted) > 0 {
			t.Fatalf("without an interrupt every write must be answered; %s was not", u.email)
		}
	}
	verify(t, res.users, stateFromSQL(t, db.AdminURL, tenants))
}

// TestShutdownUnderLoad sends SIGTERM to the app (embedded PostgreSQL) in the
// middle of a load: /readyz turns 503 while the listener keeps serving for
// SHUTDOWN_DELAY, every request sent during the delay is answered, every
// request the server accepted is answered (a request without an answer must
// be absent from the server's access log), it exits 0, leaves no postgres
// process, and after a restart every acknowledged write is there.
//
// Deliberate bugs it fails on: Server.Stop calling Close instead of
// Shutdown (in-flight requests the server logged get no answer), a
// handler dropping an accepted request, no SHUTDOWN_DELAY (/readyz is
// never seen answering 503; requests during the delay are refused).
func TestShutdownUnderLoad(t *testing.T) {
	t.Parallel()
	dataDir := newDataDir(t)
	const delay = 2 * time.Second
	// info: the access log names every request the server accepted.
	vars := map[string]string{"DATA_DIR": dataDir, "LOG_LEVEL": "info", "SHUTDOWN_DELAY": delay.String()}
	a := startApp(t, vars)
	tenants := createTenants(t, a, "drain", 4)
	readiness := make(chan []string, 1)
	res := runLoad(t, a, loadOptions{
		phase: "drain", tenants: tenants, writers: 8, readers: 4,
		minWrites: 1, maxWrites: 100_000, duration: 30 * time.Second, // until the app goes
		interruptAfter: time.Second,
		interrupt: func() error {
			err := a.cmd.Process.Signal(syscall.SIGTERM)
			go func() { readiness <- pollReadiness(a.base) }()
			return err
		},
	})
	t.Log(res.summary())
	t.Logf("answered after SIGTERM: %d; unanswered: %v", res.afterInterrupt, res.unanswered)
	if code := a.wait(); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
	requireNoProcesses(t, dataDir, 0)

	seen := <-readiness
	t.Logf("/readyz after SIGTERM, one poll per 50ms on a new connection: %s", strings.Join(compress(seen), " "))
	if !slices.Contains(seen, "503") {
		t.Error("/readyz never answered 503 after SIGTERM: the listener closed before readiness was visible")
	}
	if i := slices.Index(seen, "503"); i >= 0 && slices.Contains(seen[i:], "200") {
		t.Error("/readyz answered 200 again after 503")
	}
	logged := a.stderr.String()
	for _, l := range res.lost {
		if l.at.Sub(res.interruptedAt) < delay*3/4 {
			t.Errorf("%s %s (%s) failed %s after SIGTERM, within SHUTDOWN_DELAY=%s: %v",
				l.method, l.path, l.id, l.at.Sub(res.interruptedAt).Round(time.Millisecond), delay, l.err)
		}
		if strings.Contains(logged, `"request_id": "`+l.id+`"`) {
			t.Errorf("%s %s (%s) was accepted by the server (it is in the access log) but got no answer: %v", l.method, l.path, l.id, l.err)
		}
	}

	b := startApp(t, vars)
	verify(t, res.users, stateFromAPI(t, b, tenants))
	if code := b.stop(syscall.SIGINT); code != 0 {
		t.Errorf("exit code after SIGINT = %d, want 0", code)
	}
	verify(t, res.users, stateFromSQL(t, openEmbedded(t, dataDir), tenants))
}

// TestKillUnderLoad kills the app (embedded PostgreSQL) with SIGKILL in the
// middle of a load, twice: first the app alone (its postgres gets SIGINT
// from the kernel and stops by itself), then the app and the postmaster
// together (a stale postmaster.pid and orphaned backends are left behind).
// Each time the app boots again on the same DATA_DIR, and the data is
// consistent: every acknowledged write is there, every unanswered one is
// wholly there or wholly absent, and the audit trail matches the rows.
func TestKillUnderLoad(t *testing.T) {
	t.Parallel()
	dataDir := newDataDir(t)
	pidFile := filepath.Join(dataDir, "postgres", "pgdata", "postmaster.pid")
	vars := map[string]string{"DATA_DIR": dataDir, "LOG_LEVEL": "warn"}
	a := startApp(t, vars)
	tenants := createTenants(t, a, "crash", 4)
	load := func(a *appProc, phase string, kill func() error) loadResult {
		t.Helper()
		res := runLoad(t, a, loadOptions{
			phase: phase, tenants: tenants, writers: 8, readers: 4,
			minWrites: 1, maxWrites: 100_000, duration: 30 * time.Second, // until the app dies
			interruptAfter: time.Second, interrupt: kill,
		})
		t.Logf("%s: %s; unanswered: %v", phase, res.summary(), res.unanswered)
		if code := a.wait(); code != -1 {
			t.Fatalf("%s: exit code %d, want -1 (killed)", phase, code)
		}
		return res
	}

	// 1. SIGKILL the app only.
	first := load(a, "kill-app", func() error { return a.cmd.Process.Kill() })
	// Nobody stops postgres now but the kernel's parent-death signal.
	took := requireNoProcesses(t, dataDir, 30*time.Second)
	t.Logf("postgres stopped by itself %s after the app was killed", took.Round(time.Millisecond))
	if _, err := os.Stat(pidFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("postmaster.pid after postgres stopped on its own: %v, want it removed", err)
	}
	b := startApp(t, vars)
	verify(t, first.users, stateFromAPI(t, b, tenants))

	// 2. SIGKILL the app and the postmaster at once.
	postmaster := readPostmasterPID(t, pidFile)
	second := load(b, "kill-all", func() error {
		return errors.Join(b.cmd.Process.Kill(), syscall.Kill(postmaster, syscall.SIGKILL))
	})
	if readPostmasterPID(t, pidFile) != postmaster {
		t.Fatal("postmaster.pid changed: the test did not leave a stale one behind")
	}
	c := startApp(t, vars) // recovers the stale postmaster.pid, waits out orphaned backends
	all := append(first.users, second.users...)
	verify(t, all, stateFromAPI(t, c, tenants))
	if code := c.stop(syscall.SIGINT); code != 0 {
		t.Errorf("exit code after SIGINT = %d, want 0", code)
	}
	requireNoProcesses(t, dataDir, 0)
	verify(t, all, stateFromSQL(t, openEmbedded(t, dataDir), tenants))
}

// pollReadiness asks /readyz every 50ms, each time on a new connection,
// until the listener refuses; it returns the statuses seen, "refused" last.
func pollReadiness(base string) []string {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	var seen []string
	for range 600 {
		res, err := client.Get(base + "/readyz")
		if err != nil {
			return append(seen, "refused")
		}
		_ = res.Body.Close()
		seen = append(seen, strconv.Itoa(res.StatusCode))
		time.Sleep(50 * time.Millisecond)
	}
	return seen
}

// compress writes runs of one value as value×n.
func compress(s []string) []string {
	var out []string
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] == s[i] {
			j++
		}
		out = append(out, fmt.Sprintf("%s×%d", s[i], j-i))
		i = j
	}
	return out
}

func readPostmasterPID(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read postmaster.pid: %v", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		t.Fatalf("postmaster.pid starts with %q", line)
	}
	return pid
}
