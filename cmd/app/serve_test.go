package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/pgserver"
	"github.com/central/central/internal/seed/development"
	"github.com/central/central/internal/seed/production"
)

// TestServeEmbedded runs `app` with no configuration: it starts the embedded
// PostgreSQL under DATA_DIR, migrates, seeds, prints its banner and serves;
// SIGINT stops it with exit code 0 and no postgres process left; a restart
// on the same DATA_DIR finds the data and does not run the seeds again.
func TestServeEmbedded(t *testing.T) {
	t.Parallel()
	dataDir := newDataDir(t)
	pgDir := filepath.Join(dataDir, "postgres")
	vars := map[string]string{"DATA_DIR": dataDir}

	a := startApp(t, vars) // no arguments: serve is the default
	for _, want := range []string{
		"Central dev is ready (development)",
		"API         " + a.base + "/v1/tenants",
		"health      " + a.base + "/livez  " + a.base + "/readyz",
		"metrics     " + a.base + "/metrics",
		"PostgreSQL  embedded: 127.0.0.1:",
		"data in " + pgDir,
	} {
		if !strings.Contains(a.stdout.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, a.stdout)
		}
	}
	// The check for leftover processes must see the running ones, or it
	// proves nothing below.
	if procs := processesUnder(dataDir); len(procs) < 2 {
		t.Fatalf("expected a postmaster and its children under %s, found %v", dataDir, procs)
	}

	// A second app on the same DATA_DIR refuses to start, naming why, and
	// leaves the first one serving.
	second := runCLI(t, map[string]string{"DATA_DIR": dataDir, "HTTP_ADDR": "127.0.0.1:0"}, "db", "status")
	if second.code != 1 || !strings.Contains(second.stderr, "data directory "+pgDir+" is already used") {
		t.Errorf("second app on the data directory: exit code %d, want 1 and a clear error:\n%s", second.code, second.stderr)
	}

	a.must(t, http.MethodGet, "/livez", nil, nil, http.StatusOK, nil)
	var technova tenantView
	a.must(t, http.MethodGet, "/v1/tenants/"+development.TechNovaTenantID, nil, nil, http.StatusOK, &technova)
	if technova.Slug != "technova" {
		t.Errorf("seeded tenant slug = %q, want technova", technova.Slug)
	}
	created := a.createTenant(t, "acme")
	var got tenantView
	a.must(t, http.MethodGet, "/v1/tenants/"+created.ID, nil, nil, http.StatusOK, &got)
	if got != created {
		t.Errorf("GET after create = %+v, want %+v", got, created)
	}

	if code := a.stop(syscall.SIGINT); code != 0 {
		t.Fatalf("exit code after SIGINT = %d, want 0", code)
	}
	// Stop waits for postgres to exit: nothing may be left, not even briefly.
	requireNoProcesses(t, dataDir, 0)

	b := startApp(t, vars)
	b.must(t, http.MethodGet, "/v1/tenants/"+created.ID, nil, nil, http.StatusOK, &got)
	if got != created {
		t.Errorf("after restart GET = %+v, want %+v", got, created)
	}
	slugs := map[string]int{}
	for _, tv := range b.allTenants(t) {
		slugs[tv.Slug]++
	}
	if len(slugs) != 2 || slugs["technova"] != 1 || slugs["acme"] != 1 {
		t.Errorf("tenants after restart = %v, want technova and acme once each", slugs)
	}
	if code := b.stop(syscall.SIGINT); code != 0 {
		t.Fatalf("exit code after the second SIGINT = %d, want 0", code)
	}
	requireNoProcesses(t, dataDir, 0)

	// The seed ran once: one ledger row, one audited creation.
	conn := connect(t, openEmbedded(t, dataDir))
	requireCount(t, conn, 1, "SELECT count(*) FROM seeds")
	requireCount(t, conn, 1, "SELECT count(*) FROM audit_events WHERE action = 'tenant.create' AND entity_id = $1", development.TechNovaTenantID)
}

// TestServeExternal runs `app serve` against an external (already migrated)
// database: no embedded server, the migration is a no-op, the seeds run once,
// and the API works over real HTTP.
func TestServeExternal(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	vars := map[string]string{
		"POSTGRES_READWRITE_URL": db.URL,
		"POSTGRES_READONLY_URL":  db.ReadOnlyURL,
		"DATA_DIR":               t.TempDir(), // the development key only
	}
	a := startApp(t, vars, "serve")
	if !strings.Contains(a.stdout.String(), "PostgreSQL  external: postgres://central") {
		t.Errorf("banner does not name the external database:\n%s", a.stdout)
	}
	for _, u := range []string{db.URL, db.ReadOnlyURL} {
		parsed, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		if pw, ok := parsed.User.Password(); ok && pw != "" {
			if strings.Contains(a.stdout.String(), pw) || strings.Contains(a.stderr.String(), pw) {
				t.Errorf("the output reveals the password of %s", parsed.User.Username())
			}
		}
	}
	conn := connect(t, db.URL)
	requireCount(t, conn, 1, "SELECT count(*) FROM seeds")

	t.Run("api", func(t *testing.T) { exerciseAPI(t, a) })

	if code := a.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0", code)
	}
	b := startApp(t, vars)
	b.must(t, http.MethodGet, "/v1/tenants/"+development.TechNovaTenantID, nil, nil, http.StatusOK, nil)
	requireCount(t, conn, 1, "SELECT count(*) FROM seeds")
	if code := b.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code after the second SIGTERM = %d, want 0", code)
	}
}

// exerciseAPI walks the API's main paths over HTTP.
func exerciseAPI(t *testing.T, a *appProc) {
	// Tenants: create, get, list with a cursor.
	ids := map[string]bool{}
	for _, slug := range []string{"api-one", "api-two", "api-three"} {
		r := a.must(t, http.MethodPost, "/v1/tenants", map[string]string{"slug": slug, "display_name": slug}, nil, http.StatusCreated, nil)
		loc := r.header.Get("Location")
		var tv tenantView
		a.must(t, http.MethodGet, loc, nil, nil, http.StatusOK, &tv)
		if tv.Slug != slug || !strings.HasPrefix(tv.ID, "tenant-") || loc != "/v1/tenants/"+tv.ID {
			t.Errorf("created %s: Location %q, got %+v", slug, loc, tv)
		}
		ids[tv.ID] = true
	}
	listed := map[string]bool{}
	for _, tv := range a.allTenants(t) { // pages of 2
		if listed[tv.ID] {
			t.Errorf("tenant %s listed twice", tv.ID)
		}
		listed[tv.ID] = true
	}
	for id := range ids {
		if !listed[id] {
			t.Errorf("tenant %s missing from the list", id)
		}
	}
	tenant := a.createTenant(t, "api-users")

	// Users and tags.
	usersPath := "/v1/tenants/" + tenant.ID + "/users"
	var u userView
	r := a.must(t, http.MethodPost, usersPath, map[string]any{
		"email": "Ada@Example.com", "display_name": "Ada", "tags": map[string]string{"role": "admin", "team": "core"},
	}, nil, http.StatusCreated, &u)
	if r.header.Get("X-Consistency-Token") == "" {
		t.Error("a write returned no X-Consistency-Token")
	}
	if u.Email != "ada@example.com" || u.TenantID != tenant.ID || len(u.Tags) != 2 {
		t.Errorf("created user = %+v", u)
	}
	userPath := usersPath + "/" + u.ID
	var tag tagView
	a.must(t, http.MethodPut, userPath+"/tags/oncall", map[string]string{"value": "yes"}, nil, http.StatusOK, &tag)
	if tag.Key != "oncall" || tag.Value != "yes" {
		t.Errorf("PUT tag = %+v", tag)
	}
	a.must(t, http.MethodDelete, userPath+"/tags/team", nil, nil, http.StatusNoContent, nil)
	var got userView
	a.must(t, http.MethodGet, userPath, nil, nil, http.StatusOK, &got)
	if tags := got.tagMap(); len(tags) != 2 || tags["role"] != "admin" || tags["oncall"] != "yes" {
		t.Errorf("tags after PUT oncall and DELETE team = %v", tags)
	}
	var page pageView[userView]
	a.must(t, http.MethodGet, usersPath, nil, nil, http.StatusOK, &page)
	if len(page.Items) != 1 || page.Items[0].ID != u.ID {
		t.Errorf("user list = %+v", page)
	}

	// Errors are problem+json that say what is wrong.
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		detail             string
	}{
		{"malformed tenant id", http.MethodGet, "/v1/tenants/user-01JDQ7G0000000000TECHN0VA1", nil, http.StatusBadRequest, "tenant"},
		{"unknown tenant", http.MethodGet, "/v1/tenants/" + entityid.NewTenantID().String(), nil, http.StatusNotFound, ""},
		{"unknown field", http.MethodPost, "/v1/tenants", map[string]string{"slug": "x-y-z", "display_name": "X", "colour": "red"}, http.StatusBadRequest, "colour"},
		{"duplicate slug", http.MethodPost, "/v1/tenants", map[string]string{"slug": "api-one", "display_name": "again"}, http.StatusConflict, ""},
		{"missing tag", http.MethodDelete, userPath + "/tags/nope", nil, http.StatusNotFound, ""},
		{"unknown path", http.MethodGet, "/v2/nothing", nil, http.StatusNotFound, ""},
		{"method not allowed", http.MethodDelete, "/v1/tenants", nil, http.StatusMethodNotAllowed, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			r, err := a.request(ctx, tc.method, tc.path, tc.body, http.Header{"X-Request-Id": {"test-" + strings.ReplaceAll(tc.name, " ", "-")}})
			if err != nil {
				t.Fatal(err)
			}
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			}
			var p problemView
			if err := json.Unmarshal(r.body, &p); err != nil {
				t.Fatal(err)
			}
			wantID := "test-" + strings.ReplaceAll(tc.name, " ", "-")
			if p.Status != tc.status || p.RequestID != wantID || r.header.Get("X-Request-Id") != wantID {
				t.Errorf("problem %+v, X-Request-Id %q; want status %d and request id %q", p, r.header.Get("X-Request-Id"), tc.status, wantID)
			}
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q does not mention %q", p.Detail, tc.detail)
			}
		})
	}

	r = a.must(t, http.MethodGet, "/metrics", nil, nil, http.StatusOK, nil)
	if !strings.Contains(string(r.body), "go_goroutines") {
		t.Errorf("/metrics lacks go_goroutines")
	}
}

// TestServeWithReplica runs the app with a streaming replica for reads: a
// read that sends back a write's X-Consistency-Token sees the write, even
// while the replica's replay is paused; reads without the token go to the
// replica and miss the write then.
func TestServeWithReplica(t *testing.T) {
	t.Parallel()
	pair := dbtest.NewDedicatedPair(t)
	a := startApp(t, map[string]string{
		"POSTGRES_READWRITE_URL":   pair.URL,
		"POSTGRES_READONLY_URL":    pair.ReadOnlyURL,
		"POSTGRES_REPLICA_URLS":    pair.ReplicaReadOnlyURL,
		"POSTGRES_REPLICA_MAX_LAG": "5m", // a paused replica must keep getting reads
		"DATA_DIR":                 t.TempDir(),
		"LOG_LEVEL":                "warn",
	})
	waitReplicaHealthy(t, a)
	tenant := a.createTenant(t, "replicated")
	usersPath := "/v1/tenants/" + tenant.ID + "/users"

	// createAndRead creates a user, then reads it back with the write's
	// token (must succeed) and without it; it returns whether the tokenless
	// read found the user.
	createAndRead := func(i int, phase string) bool {
		t.Helper()
		var u userView
		r := a.must(t, http.MethodPost, usersPath, map[string]any{"email": phase + "-" + strconv.Itoa(i) + "@replica.example"}, nil, http.StatusCreated, &u)
		token := r.header.Get("X-Consistency-Token")
		if token == "" {
			t.Fatalf("create #%d returned no X-Consistency-Token", i)
		}
		var got userView
		a.must(t, http.MethodGet, usersPath+"/"+u.ID, nil, http.Header{"X-Consistency-Token": {token}}, http.StatusOK, &got)
		if got.ID != u.ID {
			t.Fatalf("read with token got %+v, want user %s", got, u.ID)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		plain, err := a.request(ctx, http.MethodGet, usersPath+"/"+u.ID, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		switch plain.status {
		case http.StatusOK:
			return true
		case http.StatusNotFound:
			return false
		default:
			t.Fatalf("read without token: status %d: %s", plain.status, plain.body)
			return false
		}
	}

	// Streaming: the replica replays as fast as it can, so these reads
	// usually pass even without the token; they show the live path works,
	// not that the token matters (that is the paused phase below).
	for i := range 20 {
		createAndRead(i, "streaming")
	}

	// The same under concurrency: readers send back the token of the
	// create they read and fail on a 404.
	tenants := createTenants(t, a, "replica-load", 2)
	res := runLoad(t, a, loadOptions{
		phase: "replica", tenants: tenants, writers: 4, readers: 4,
		minWrites: 20, maxWrites: 300, duration: time.Second,
	})
	t.Log(res.summary())
	verify(t, res.users, stateFromSQL(t, pair.AdminURL, tenants))

	replicaAdmin := connect(t, pair.Replica.URL(pgserver.RoleSuperuser, "postgres"))
	ctx := context.Background()
	if _, err := replicaAdmin.Exec(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	// The read-your-writes loop runs with replay paused, so every read is
	// decided by the token, deterministically: with the token ignored (e.g.
	// the middleware not calling replica.WithToken, the deliberate bug this
	// phase catches) the first tokened read goes to the paused replica and
	// gets a 404. A live replica would usually have replayed the write
	// already and hidden that bug in about one run of two.
	const paused = 200
	missed := 0
	for i := range paused {
		if !createAndRead(i, "paused") {
			missed++
		}
	}
	// Without a token a read may go to the replica, which has not replayed
	// the write: at least one such miss shows that reads do use the replica
	// and so that the token is what made the reads above see their writes.
	if missed == 0 {
		t.Errorf("with replay paused, every read without a token still saw its write: are reads routed to the replica at all?")
	}
	t.Logf("replay paused: %d of %d reads without a token missed their write; all %d with it saw it", missed, paused, paused)
	if _, err := replicaAdmin.Exec(ctx, "SELECT pg_wal_replay_resume()"); err != nil {
		t.Fatal(err)
	}
	if code := a.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0", code)
	}
}

// waitReplicaHealthy waits until /readyz reports a healthy replica, so that
// reads may go to it.
func waitReplicaHealthy(t *testing.T, a *appProc) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var rep struct {
			Checks []struct {
				Name string `json:"name"`
				OK   bool   `json:"ok"`
			} `json:"checks"`
		}
		a.must(t, http.MethodGet, "/readyz", nil, nil, http.StatusOK, &rep)
		for _, c := range rep.Checks {
			if strings.HasPrefix(c.Name, "replica") && c.OK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no healthy replica in /readyz: %+v", rep)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// connect opens a connection closed when t ends.
func connect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func requireCount(t testing.TB, conn *pgx.Conn, want int, query string, args ...any) {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if n != want {
		t.Errorf("%s = %d, want %d", query, n, want)
	}
}

// TestServeProduction runs the same binary configured for production: JSON
// logs, the production seeds (not the development ones), keys from
// SENSITIVE_KEYS, and the request id of an HTTP request in the log entries of
// its SQL statements.
func TestServeProduction(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i * 7)
	}
	a := startApp(t, map[string]string{
		"APP_ENV":                "production",
		"POSTGRES_READWRITE_URL": db.URL,
		"POSTGRES_READONLY_URL":  db.ReadOnlyURL,
		"SENSITIVE_KEYS":         "prod:1=base64key://" + base64.URLEncoding.EncodeToString(key),
		"SENSITIVE_CURRENT_KEY":  "prod:1",
		"LOG_LEVEL":              "debug",
	})
	if !strings.Contains(a.stdout.String(), "is ready (production)") {
		t.Errorf("banner does not say production:\n%s", a.stdout)
	}
	a.must(t, http.MethodGet, "/v1/tenants/"+production.OperatorTenantID, nil, nil, http.StatusOK, nil)
	a.must(t, http.MethodGet, "/v1/tenants/"+development.TechNovaTenantID, nil, nil, http.StatusNotFound, nil)

	const reqID = "trace-into-sql-1"
	a.must(t, http.MethodPost, "/v1/tenants", map[string]string{"slug": "traced", "display_name": "Traced"},
		http.Header{"X-Request-Id": {reqID}}, http.StatusCreated, nil)
	if code := a.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0", code)
	}

	var lines, sqlLines int
	for line := range strings.Lines(a.stderr.String()) {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Errorf("production log line is not JSON: %q", line)
			continue
		}
		lines++
		logger, _ := entry["logger"].(string)
		query, _ := entry["query"].(string)
		if strings.HasSuffix(logger, "sql") && entry["request_id"] == reqID && strings.HasPrefix(query, `INSERT INTO "tenants"`) {
			sqlLines++
		}
	}
	if lines == 0 {
		t.Error("no log lines")
	}
	if sqlLines == 0 {
		t.Errorf("no sql log entry of the tenant INSERT carries request_id %q", reqID)
	}
}

// TestServePortTaken: when HTTP_ADDR is taken the app fails to start with
// exit code 1 and a message naming the address, and stops the embedded
// PostgreSQL it had started.
func TestServePortTaken(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dataDir := newDataDir(t)
	res := runCLI(t, map[string]string{"DATA_DIR": dataDir, "HTTP_ADDR": ln.Addr().String()})
	if res.code != 1 {
		t.Errorf("exit code %d, want 1", res.code)
	}
	if want := "listen on " + ln.Addr().String() + " (set HTTP_ADDR to another address"; !strings.Contains(res.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, tail(res.stderr, 20))
	}
	requireNoProcesses(t, dataDir, 0)
}
