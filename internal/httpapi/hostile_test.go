package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/central/central/internal/httpapi"
)

// TestHostileInputIs400 sends what an attacker would: NUL and invalid
// bytes in every text field and in a path key, over-long collections, a
// JSON array as the body, unclean paths, a 10 KB path. Every answer is a
// 4xx problem+json naming the field, never a 500 nor an HTML redirect, and
// nothing is logged at error. Deliberate bugs it catches: removing the
// validate* calls in internal/service (500 from SQLSTATE 22021), the
// cleanPath check in routes (HTML 307), jsonKind in decode (a detail naming
// a Go struct type), truncate in writeProblem (10 KB echoed twice).
func TestHostileInputIs400(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tn := f.createTenant(t, "acme")
	users := "/v1/tenants/" + tn.ID + "/users"
	r := f.do(t, "POST", users, `{"email":"ann@acme.test","tags":{"team":"core"}}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create user: %d %s", r.status, r.body)
	}
	var u struct{ ID string }
	r.json(t, &u)
	conns := "/v1/tenants/" + tn.ID + "/oidc-connectors"
	manyTags := make([]string, 10923)
	for i := range manyTags {
		manyTags[i] = fmt.Sprintf(`"k%d":"v"`, i)
	}
	long := strings.Repeat("x", 10_000)
	tests := []struct {
		name, method, path, body string
		status                   int
		detail                   string
	}{
		{"NUL in tenant display_name", "POST", "/v1/tenants", `{"slug":"nul","display_name":"a\u0000b"}`, 400, "display_name"},
		{"NUL in email", "POST", users, `{"email":"a\u0000@acme.test"}`, 400, "email"},
		{"NUL in user display_name", "POST", users, `{"email":"b@acme.test","display_name":"\u0000"}`, 400, "display_name"},
		{"NUL in tag value", "POST", users, `{"email":"c@acme.test","tags":{"k":"\u0000"}}`, 400, "tags.k"},
		{"NUL in PUT tag value", "PUT", users + "/" + u.ID + "/tags/team", `{"value":"\u0000"}`, 400, "tags.team"},
		{"NUL in connector name", "POST", conns, `{"name":"\u0000","issuer":"https://i.test","client_id":"c"}`, 400, "name"},
		{"NUL in issuer", "POST", conns, `{"name":"n","issuer":"https://i.test/\u0000","client_id":"c"}`, 400, "issuer"},
		{"NUL in client_id", "POST", conns, `{"name":"n","issuer":"https://i.test","client_id":"\u0000"}`, 400, "client_id"},
		{"NUL in client_secret", "POST", conns, `{"name":"n","issuer":"https://i.test","client_id":"c","client_secret":"\u0000"}`, 400, "client_secret"},
		{"DELETE tag %00", "DELETE", users + "/" + u.ID + "/tags/%00", "", 400, "key"},
		{"DELETE tag %FF", "DELETE", users + "/" + u.ID + "/tags/%FF", "", 400, "key"},
		{"DELETE tag surrogate", "DELETE", users + "/" + u.ID + "/tags/%ED%A0%80", "", 400, "key"},
		{"PUT tag %00", "PUT", users + "/" + u.ID + "/tags/%00", `{"value":"v"}`, 400, "key"},
		{"10,923 tags", "POST", users, `{"email":"d@acme.test","tags":{` + strings.Join(manyTags, ",") + `}}`, 400, "tags"},
		{"1 MB secret", "POST", conns, `{"name":"n","issuer":"https://i.test","client_id":"c","client_secret":"` + strings.Repeat("s", 1<<20-200) + `"}`, 400, "client_secret"},
		{"users page too large", "GET", users + "?limit=500", "", 400, "limit"},
		{"tab-newline display name", "POST", "/v1/tenants", `{"slug":"blank","display_name":"\t\n"}`, 400, "display_name"},
		{"no-break-space display name", "POST", "/v1/tenants", `{"slug":"blank","display_name":"\u00a0"}`, 400, "display_name"},
		{"array body", "POST", "/v1/tenants", `[]`, 400, "must be a JSON object, not a JSON array"},
		{"string body", "POST", "/v1/tenants", `"x"`, 400, "must be a JSON object"},
		{"double slash", "GET", "//v1/tenants", "", 404, "use /v1/tenants"},
		{"dot dot", "GET", "/v1/x/../tenants", "", 404, "use /v1/tenants"},
		{"dot", "GET", "/v1/./tenants", "", 404, "use /v1/tenants"},
		{"10 KB path", "GET", "/" + long, "", 404, "no resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, tt.method, tt.path, tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %.300s", r.status, tt.status, r.body)
			}
			p := r.problem(t)
			if !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("detail %q does not mention %q", p.Detail, tt.detail)
			}
			for _, leak := range []string{"struct", "httpapi.", "service.", "[]string", "map["} {
				if strings.Contains(p.Detail, leak) {
					t.Errorf("detail names a Go type (%s): %q", leak, p.Detail)
				}
			}
			if len(r.body) > 2048 {
				t.Errorf("problem body is %d bytes: the echoed path or detail is not truncated", len(r.body))
			}
		})
	}
	if errs := f.logs.FilterLevelExact(zapcore.ErrorLevel); errs.Len() > 0 {
		t.Errorf("hostile input was logged at error: %v", errs.All()[0].Message)
	}
	var got struct {
		Tags []struct{ Key, Value string }
	}
	f.do(t, "GET", users+"/"+u.ID, "").json(t, &got)
	if len(got.Tags) != 1 || got.Tags[0].Value != "core" {
		t.Errorf("rejected requests changed the user's tags: %+v", got.Tags)
	}
}

// TestClientDisconnectIs499 lets a client give up on a request blocked in
// the database. The server must record it as the client's doing: status 499
// in the access log, the client_closed_requests counter, nothing at error
// and no 503. Deliberate bug: mapping context.Canceled to 503 as before.
func TestClientDisconnectIs499(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.createTenant(t, "acme")
	// Hold a lock that the list query must wait for.
	db := f.tdb.OpenDB(t)
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, "LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	reqCtx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(reqCtx, "GET", f.srv.URL+"/v1/tenants", nil)
	req.Header.Set("X-Request-ID", "gone-1")
	if res, err := f.srv.Client().Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("the request was answered (%d) while the table was locked", res.StatusCode)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var status any
		for _, e := range f.logs.FilterMessage("request").All() {
			if e.ContextMap()["request_id"] == "gone-1" {
				status = e.ContextMap()["status"]
			}
		}
		if status != nil {
			if status != int64(httpapi.StatusClientClosedRequest) {
				t.Errorf("access log status %v, want 499", status)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no access log entry for the abandoned request")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := counterValue(t, f, "central_http_client_closed_requests_total"); n != 1 {
		t.Errorf("client_closed_requests_total = %v, want 1", n)
	}
	if errs := f.logs.FilterLevelExact(zapcore.ErrorLevel); errs.Len() > 0 {
		t.Errorf("an abandoned request was logged at error: %s", errs.All()[0].Message)
	}
}

// counterValue reads a counter from the registry that serves /metrics.
func counterValue(t *testing.T, f *fixture, name string) float64 {
	t.Helper()
	mfs, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no counter %s in the registry", name)
	return 0
}
