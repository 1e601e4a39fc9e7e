package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/zap/zaptest"

	"github.com/central/central/internal/app"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/httpapi"
)

// TestServeBehindPgBouncer boots 8 instances of the whole application at
// once behind a PgBouncer in transaction mode (2 server connections per
// side) on an empty database: migrations and seeds must run exactly once
// (their locks live on POSTGRES_DIRECT_URL), every instance must serve, the
// HTTP main paths must work through the pooler, and no server session may
// be left carrying state from one client to the next.
func TestServeBehindPgBouncer(t *testing.T) {
	p := dbtest.NewPooled(t, dbtest.Empty())
	dataDir := t.TempDir() // shared: the instances agree on one development key
	env := map[string]string{
		"DATA_DIR": dataDir, "HTTP_ADDR": "127.0.0.1:0",
		"POSTGRES_POOLER":              "transaction",
		"POSTGRES_READWRITE_URL":       p.PooledURL,
		"POSTGRES_READONLY_URL":        p.PooledReadOnlyURL,
		"POSTGRES_DIRECT_URL":          p.URL,
		"POSTGRES_READWRITE_POOL_SIZE": "2",
		"POSTGRES_READONLY_POOL_SIZE":  "2",
	}
	const instances = 8
	apps := make([]*fxtest.App, instances)
	srvs := make([]*httpapi.Server, instances)
	var wg sync.WaitGroup
	errs := make([]error, instances)
	for i := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := app.Prepare(context.Background(), loadConfig(t, env), zaptest.NewLogger(t).Named("app"+string(rune('0'+i))), "test")
			if err != nil {
				errs[i] = err
				return
			}
			apps[i] = fxtest.New(t, app.ServeOptions(e), fx.Populate(&srvs[i]))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			errs[i] = apps[i].Start(ctx)
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, a := range apps {
			if a != nil {
				_ = a.Stop(context.Background())
			}
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
	}

	ctx := context.Background()
	direct, err := pgx.Connect(ctx, p.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	var revisions, dupRevisions, seeds, dupSeeds, tenants int
	if err := direct.QueryRow(ctx, `SELECT count(*), count(*) - count(DISTINCT version) FROM atlas_schema_revisions.atlas_schema_revisions`).Scan(&revisions, &dupRevisions); err != nil {
		t.Fatal(err)
	}
	if err := direct.QueryRow(ctx, `SELECT count(*), count(*) - count(DISTINCT name) FROM seeds`).Scan(&seeds, &dupSeeds); err != nil {
		t.Fatal(err)
	}
	if err := direct.QueryRow(ctx, `SELECT count(*) FROM tenants WHERE slug = 'technova'`).Scan(&tenants); err != nil {
		t.Fatal(err)
	}
	if revisions == 0 || dupRevisions != 0 || seeds == 0 || dupSeeds != 0 || tenants != 1 {
		t.Fatalf("after %d concurrent boots: %d revisions (%d duplicated), %d seeds (%d duplicated), %d technova tenants; want each once",
			instances, revisions, dupRevisions, seeds, dupSeeds, tenants)
	}

	// HTTP main paths through the pooler, on different instances.
	call := func(i int, method, path, body string, header ...string) (int, http.Header, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, "http://"+srvs[i%instances].Addr()+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for j := 0; j+1 < len(header); j += 2 {
			req.Header.Set(header[j], header[j+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var v map[string]any
		_ = json.Unmarshal(b, &v)
		return res.StatusCode, res.Header, v
	}
	for i := range instances {
		if code, _, _ := call(i, "GET", "/readyz", ""); code != http.StatusOK {
			t.Fatalf("instance %d: readyz %d", i, code)
		}
	}
	code, h, tenant := call(0, "POST", "/v1/tenants", `{"slug":"pooled","display_name":"Pooled"}`)
	if code != http.StatusCreated {
		t.Fatalf("create tenant: %d %v", code, tenant)
	}
	id, _ := tenant["id"].(string)
	token := h.Get("X-Consistency-Token")
	if token == "" {
		t.Fatal("no consistency token after a write")
	}
	if code, _, got := call(1, "GET", "/v1/tenants/"+id, "", "X-Consistency-Token", token); code != http.StatusOK || got["slug"] != "pooled" {
		t.Fatalf("read your write on another instance: %d %v", code, got)
	}
	code, _, user := call(2, "POST", "/v1/tenants/"+id+"/users", `{"email":"ann@pooled.example","display_name":"Ann","tags":{"team":"red"}}`)
	if code != http.StatusCreated {
		t.Fatalf("create user: %d %v", code, user)
	}
	uid, _ := user["id"].(string)
	if code, _, _ := call(3, "PUT", "/v1/tenants/"+id+"/users/"+uid+"/tags/team", `{"value":"blue"}`); code/100 != 2 {
		t.Fatalf("set tag: %d", code)
	}
	if code, _, _ := call(4, "DELETE", "/v1/tenants/"+id+"/users/"+uid+"/tags/team", ""); code/100 != 2 {
		t.Fatalf("delete tag: %d", code)
	}
	if code, _, page := call(5, "GET", "/v1/tenants/"+id+"/users", ""); code != http.StatusOK || len(page["items"].([]any)) != 1 {
		t.Fatalf("list users: %d %v", code, page)
	}
	if code, _, c := call(6, "POST", "/v1/tenants/"+id+"/oidc-connectors", `{"name":"okta","issuer":"https://okta.example","client_id":"c","client_secret":"s3cret"}`); code != http.StatusCreated {
		t.Fatalf("create connector: %d %v", code, c)
	}
	if code, _, _ := call(7, "GET", "/v1/tenants?limit=100", ""); code != http.StatusOK {
		t.Fatalf("list tenants: %d", code)
	}

	for _, u := range []string{p.PooledURL, p.PooledReadOnlyURL} {
		found, err := dbtest.SessionState(ctx, u, p.Bouncer.PoolSize())
		if err != nil {
			t.Fatal(err)
		}
		if len(found) > 0 {
			t.Fatalf("session state left behind PgBouncer:\n%s", strings.Join(found, "\n"))
		}
	}
}
