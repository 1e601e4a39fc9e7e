package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/httpapi"
	"github.com/central/central/internal/sensitive/keyring"
	"github.com/central/central/internal/service"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type fixture struct {
	srv  *httptest.Server
	api  *httpapi.API
	logs *observer.ObservedLogs
	tdb  *dbtest.DB
	reg  *prometheus.Registry
}

// newFixture serves the API over real HTTP on a fresh, migrated database.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	tdb := dbtest.New(t)
	core, logs := observer.New(zapcore.DebugLevel)
	logger := zap.New(core)
	reg := prometheus.NewRegistry()
	d, err := db.Open(ctx, config.Postgres{
		ReadWrite: config.Conn{URL: config.Secret(tdb.URL), PoolSize: 4, AppName: "test_rw"},
		ReadOnly:  config.Conn{URL: config.Secret(tdb.ReadOnlyURL), PoolSize: 4, AppName: "test_ro"},
	}, logger, db.WithRegistry(reg))
	if err != nil {
		t.Fatalf("open db: %v", err)
	}
	t.Cleanup(func() { _ = d.Stop(context.Background()) })
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	keys, err := keyring.NewLocal("test", 1, key)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.NewServices(logger, d, keys)
	if err != nil {
		t.Fatal(err)
	}
	api, err := httpapi.New(logger, d, svc, reg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, api: api, logs: logs, tdb: tdb, reg: reg}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) problem(t testing.TB) httpapi.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json (body %s)", ct, r.body)
	}
	var p httpapi.Problem
	r.json(t, &p)
	if p.Status != r.status || p.Type == "" || p.Title == "" || p.RequestID == "" {
		t.Errorf("incomplete problem %+v for status %d", p, r.status)
	}
	return p
}

func (f *fixture) do(t testing.TB, method, path, body string, header ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

type tenant struct {
	ID          string `json:"id"`
	Slug        string `json:"slug"`
	DisplayName string `json:"display_name"`
	Status      string `json:"status"`
}

func (f *fixture) createTenant(t testing.TB, slug string) tenant {
	t.Helper()
	r := f.do(t, "POST", "/v1/tenants", `{"slug":"`+slug+`","display_name":"Tenant `+slug+`"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create tenant: %d %s", r.status, r.body)
	}
	var tn tenant
	r.json(t, &tn)
	if loc := r.header.Get("Location"); loc != "/v1/tenants/"+tn.ID {
		t.Errorf("Location = %q", loc)
	}
	return tn
}

func TestTenantsCreateGetAndPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var created []tenant
	for _, slug := range []string{"acme", "globex", "initech", "umbrella", "hooli"} {
		created = append(created, f.createTenant(t, slug))
	}
	r := f.do(t, "GET", "/v1/tenants/"+created[0].ID, "")
	var got tenant
	r.json(t, &got)
	if r.status != http.StatusOK || got != created[0] {
		t.Fatalf("get = %d %+v, want %+v", r.status, got, created[0])
	}

	// Walk the list two at a time with the cursor.
	var seen []string
	path := "/v1/tenants?limit=2"
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		var p struct {
			Items []tenant `json:"items"`
			Next  string   `json:"next"`
		}
		f.do(t, "GET", path, "").json(t, &p)
		for _, it := range p.Items {
			seen = append(seen, it.Slug)
		}
		if p.Next == "" {
			break
		}
		path = "/v1/tenants?limit=2&after=" + p.Next
	}
	if strings.Join(seen, ",") != "acme,globex,initech,umbrella,hooli" {
		t.Errorf("paged through %v, want creation (ID) order", seen)
	}

	if r := f.do(t, "POST", "/v1/tenants", `{"slug":"acme","display_name":"Again"}`); r.status != http.StatusConflict {
		t.Errorf("duplicate slug: %d %s", r.status, r.body)
	} else {
		r.problem(t)
	}
	if r := f.do(t, "POST", "/v1/tenants", `{"slug":"Not A Slug","display_name":"x"}`); r.status != http.StatusBadRequest {
		t.Errorf("invalid slug: %d %s", r.status, r.body)
	}
}

func TestProblems(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tn := f.createTenant(t, "acme")
	big := `{"slug":"` + strings.Repeat("a", 2<<20) + `"}`
	tests := []struct {
		name, method, path, body string
		header                   []string
		status                   int
		detail                   string
	}{
		{"malformed id names the prefix", "GET", "/v1/tenants/tenant-123", "", nil, 400, `invalid tenant ID "tenant-123"`},
		{"id of another entity", "GET", "/v1/tenants/user-01H2XVNZ7C9NXWK3TMCRD9QWMN", "", nil, 400, `prefix is "user", want "tenant"`},
		{"unknown tenant", "GET", "/v1/tenants/tenant-01H2XVNZ7C9NXWK3TMCRD9QWMN", "", nil, 404, "not found"},
		{"unknown field", "POST", "/v1/tenants", `{"slug":"x1x","display_name":"x","admin":true}`, nil, 400, `unknown field "admin"`},
		{"trailing data", "POST", "/v1/tenants", `{"slug":"x1x","display_name":"x"} {}`, nil, 400, "more than one JSON value"},
		{"empty body", "POST", "/v1/tenants", "", nil, 400, "empty"},
		{"syntax error", "POST", "/v1/tenants", `{"slug":`, nil, 400, "not valid JSON"},
		{"wrong type", "POST", "/v1/tenants", `{"slug":1}`, nil, 400, `field "slug" must be a JSON string`},
		{"oversized body", "POST", "/v1/tenants", big, nil, 413, "larger than"},
		{"not JSON", "POST", "/v1/tenants", `slug=x`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "not JSON"},
		{"bad limit", "GET", "/v1/tenants?limit=100000", "", nil, 400, "limit"},
		{"bad cursor", "GET", "/v1/tenants?after=nope", "", nil, 400, "after"},
		{"bad consistency token", "GET", "/v1/tenants", "", []string{httpapi.ConsistencyHeader, "zz/zz"}, 400, httpapi.ConsistencyHeader},
		{"unknown path", "GET", "/v2/nothing", "", nil, 404, "no resource"},
		{"method not allowed", "DELETE", "/v1/tenants/" + tn.ID, "", nil, 405, "DELETE is not allowed"},
		{"user of unknown tenant", "GET", "/v1/tenants/tenant-01H2XVNZ7C9NXWK3TMCRD9QWMN/users", "", nil, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, tt.method, tt.path, tt.body, tt.header...)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.status < 400 {
				return
			}
			p := r.problem(t)
			if !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("detail %q does not mention %q", p.Detail, tt.detail)
			}
			if tt.status == 405 && r.header.Get("Allow") == "" {
				t.Error("405 without Allow header")
			}
		})
	}
}

func TestUsersTagsAndTenantScoping(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	acme, globex := f.createTenant(t, "acme"), f.createTenant(t, "globex")
	base := "/v1/tenants/" + acme.ID + "/users"

	r := f.do(t, "POST", base, `{"email":"Ada@Acme.test","display_name":"Ada","tags":{"team":"core"}}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create user: %d %s", r.status, r.body)
	}
	var u struct {
		ID       string `json:"id"`
		TenantID string `json:"tenant_id"`
		Email    string `json:"email"`
		Tags     []struct{ Key, Value string }
	}
	r.json(t, &u)
	if u.Email != "ada@acme.test" || u.TenantID != acme.ID || len(u.Tags) != 1 || u.Tags[0].Value != "core" {
		t.Fatalf("created user %+v", u)
	}
	if strings.Contains(string(r.body), "idp") {
		t.Errorf("public user view mentions idp data: %s", r.body)
	}

	if r := f.do(t, "PUT", base+"/"+u.ID+"/tags/role", `{"value":"admin"}`); r.status != http.StatusOK {
		t.Fatalf("set tag: %d %s", r.status, r.body)
	}
	if r := f.do(t, "DELETE", base+"/"+u.ID+"/tags/team", ""); r.status != http.StatusNoContent {
		t.Fatalf("delete tag: %d %s", r.status, r.body)
	}
	f.do(t, "GET", base+"/"+u.ID, "").json(t, &u)
	if len(u.Tags) != 1 || u.Tags[0].Key != "role" || u.Tags[0].Value != "admin" {
		t.Errorf("tags after set and delete: %+v", u.Tags)
	}

	// The same user through another tenant is not found, for every route.
	other := "/v1/tenants/" + globex.ID + "/users/" + u.ID
	for _, req := range []struct{ method, path, body string }{
		{"GET", other, ""},
		{"PUT", other + "/tags/role", `{"value":"x"}`},
		{"DELETE", other + "/tags/role", ""},
	} {
		if r := f.do(t, req.method, req.path, req.body); r.status != http.StatusNotFound {
			t.Errorf("%s %s through another tenant: %d %s", req.method, req.path, r.status, r.body)
		}
	}
	var list struct{ Items []any }
	f.do(t, "GET", "/v1/tenants/"+globex.ID+"/users", "").json(t, &list)
	if len(list.Items) != 0 {
		t.Errorf("globex lists acme's users: %v", list.Items)
	}
	if r := f.do(t, "POST", base, `{"email":"ada@acme.test"}`); r.status != http.StatusConflict {
		t.Errorf("duplicate email in tenant: %d %s", r.status, r.body)
	}
	if r := f.do(t, "POST", "/v1/tenants/"+globex.ID+"/users", `{"email":"ada@acme.test"}`); r.status != http.StatusCreated {
		t.Errorf("same email in another tenant: %d %s", r.status, r.body)
	}
}

func TestConnectorsNeverShowTheirSecret(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	acme := f.createTenant(t, "acme")
	base := "/v1/tenants/" + acme.ID + "/oidc-connectors"
	r := f.do(t, "POST", base, `{"name":"okta","issuer":"https://acme.okta.test","client_id":"cid","client_secret":"s3cr3t-value"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create connector: %d %s", r.status, r.body)
	}
	var c struct{ ID string }
	r.json(t, &c)
	for _, got := range []response{r, f.do(t, "GET", base+"/"+c.ID, ""), f.do(t, "GET", base, "")} {
		if got.status != http.StatusOK && got.status != http.StatusCreated {
			t.Fatalf("status %d: %s", got.status, got.body)
		}
		if bytes.Contains(got.body, []byte("s3cr3t")) || bytes.Contains(got.body, []byte("client_secret")) {
			t.Errorf("connector response exposes the secret: %s", got.body)
		}
	}
	if r := f.do(t, "GET", "/v1/tenants/"+f.createTenant(t, "globex").ID+"/oidc-connectors/"+c.ID, ""); r.status != http.StatusNotFound {
		t.Errorf("connector through another tenant: %d", r.status)
	}
}

func TestRequestIDTravelsIntoTheSQLLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.do(t, "POST", "/v1/tenants", `{"slug":"acme","display_name":"Acme"}`, "X-Request-ID", "req-12345")
	if r.header.Get("X-Request-ID") != "req-12345" {
		t.Fatalf("request id not echoed: %q", r.header.Get("X-Request-ID"))
	}
	var sql int
	for _, e := range f.logs.FilterField(zap.String("request_id", "req-12345")).All() {
		if strings.HasSuffix(e.LoggerName, "sql") && e.ContextMap()["query"] != nil {
			sql++
		}
	}
	if sql == 0 {
		t.Errorf("no SQL log entry carries the request id (of %d entries)", f.logs.Len())
	}
	// An id a client should not be able to inject into headers and logs is replaced.
	r = f.do(t, "GET", "/livez", "", "X-Request-ID", strings.Repeat("x", 300))
	if got := r.header.Get("X-Request-ID"); got == "" || len(got) > 128 {
		t.Errorf("unsafe request id kept: %q", got)
	}
}

func TestWritesReturnAConsistencyToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.do(t, "POST", "/v1/tenants", `{"slug":"acme","display_name":"Acme"}`)
	tok := r.header.Get(httpapi.ConsistencyHeader)
	if tok == "" {
		t.Fatal("a write returned no consistency token")
	}
	var tn tenant
	r.json(t, &tn)
	if r := f.do(t, "GET", "/v1/tenants/"+tn.ID, "", httpapi.ConsistencyHeader, tok); r.status != http.StatusOK {
		t.Errorf("read with the token: %d %s", r.status, r.body)
	}
	if r := f.do(t, "GET", "/v1/tenants/"+tn.ID, ""); r.header.Get(httpapi.ConsistencyHeader) != "" {
		t.Errorf("a read returned a token: %q", r.header.Get(httpapi.ConsistencyHeader))
	}
}

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if r := f.do(t, "GET", "/livez", ""); r.status != http.StatusOK {
		t.Errorf("livez: %d", r.status)
	}
	r := f.do(t, "GET", "/readyz", "")
	var rep db.Report
	r.json(t, &rep)
	if r.status != http.StatusOK || !rep.Ready {
		t.Errorf("readyz: %d %s", r.status, r.body)
	}
	m := f.do(t, "GET", "/metrics", "")
	for _, want := range []string{"go_sql_open_connections", "readwrite"} {
		if !strings.Contains(string(m.body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	f.api.Drain()
	deadline := time.Now().Add(time.Second)
	if r := f.do(t, "GET", "/readyz", ""); r.status != http.StatusServiceUnavailable || time.Now().After(deadline) {
		t.Errorf("readyz while draining: %d %s", r.status, r.body)
	}
	if r := f.do(t, "GET", "/livez", ""); r.status != http.StatusOK {
		t.Errorf("livez while draining: %d", r.status)
	}
}
