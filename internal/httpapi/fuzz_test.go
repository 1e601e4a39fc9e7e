package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/central/central/internal/httpapi"
)

// fuzzSecret is the client secret of the fixture's connector: no response
// may ever contain it.
const fuzzSecret = "fuzz-client-secret-0123456789"

// FuzzAPI sends arbitrary requests (method, path, query, one header, body)
// through net/http's request parser to the API over a real, migrated
// database. No request may get a 5xx or panic (the API would turn a panic
// into a 500), every 4xx is problem+json with a matching status, and no
// response holds the stored client secret or a client_secret the request
// sent. "{tenant}", "{user}" and "{connector}" in the path become the IDs
// of the fixture's rows, so the fuzzer reaches the handlers behind the ID
// checks. The seed corpus runs with go test; run it longer by hand:
//
//	go test -run '^$' -fuzz FuzzAPI -fuzztime 10m -parallel 1 ./internal/httpapi/
func FuzzAPI(f *testing.F) {
	fx := newFixture(f)
	tn := fx.createTenant(f, "fuzz")
	var u struct{ ID string }
	r := fx.do(f, "POST", "/v1/tenants/"+tn.ID+"/users", `{"email":"fuzz@fuzz.test","tags":{"team":"core"}}`)
	r.json(f, &u)
	var c struct{ ID string }
	r = fx.do(f, "POST", "/v1/tenants/"+tn.ID+"/oidc-connectors",
		`{"name":"okta","issuer":"https://okta.test","client_id":"cid","client_secret":"`+fuzzSecret+`","scopes":["openid"]}`)
	r.json(f, &c)
	ids := strings.NewReplacer("{tenant}", tn.ID, "{user}", u.ID, "{connector}", c.ID)

	for _, s := range []struct{ method, path, query, header, body string }{
		{"GET", "/v1/tenants", "limit=2", "", ""},
		{"GET", "/v1/tenants", "limit=-1&after=tenant-x", "", ""},
		{"POST", "/v1/tenants", "", "", `{"slug":"acme","display_name":"Acme"}`},
		{"POST", "/v1/tenants", "", "", `{"slug":"a\u0000b","display_name":"\u0000"}`},
		{"POST", "/v1/tenants", "", "", `[]`},
		{"POST", "/v1/tenants", "", "Content-Type: text/plain", `x`},
		{"POST", "/v1/tenants/{tenant}/users", "", "", `{"email":"a@b.c","display_name":"\t\n","tags":{"k":"\u0000"}}`},
		{"POST", "/v1/tenants/{tenant}/users", "", "", `{"email":"\u00a0@b.c","tags":{"K":"v","k2":null}}`},
		{"GET", "/v1/tenants/{tenant}/users", "limit=500", "", ""},
		{"GET", "/v1/tenants/{tenant}/users/{user}", "", "X-Consistency-Token: zz/zz", ""},
		{"PUT", "/v1/tenants/{tenant}/users/{user}/tags/%00", "", "", `{"value":"v"}`},
		{"PUT", "/v1/tenants/{tenant}/users/{user}/tags/team", "", "", `{"value":"` + strings.Repeat("é", 1025) + `"}`},
		{"DELETE", "/v1/tenants/{tenant}/users/{user}/tags/%FF", "", "", ""},
		{"DELETE", "/v1/tenants/{tenant}/users/{user}/tags/%ED%A0%80", "", "", ""},
		{"POST", "/v1/tenants/{tenant}/oidc-connectors", "", "", `{"name":"n","issuer":"https://i","client_id":"c","client_secret":"leak-me-please-123","scopes":["` + strings.Repeat("s", 300) + `"]}`},
		{"GET", "/v1/tenants/{tenant}/oidc-connectors/{connector}", "", "", ""},
		{"GET", "//v1/../tenants", "", "", ""},
		{"GET", "/v1/tenants/{tenant}/users/{user}/", "", "X-Request-ID: " + strings.Repeat("x", 300), ""},
		{"OPTIONS", "/v1/tenants/{tenant}", "", "", ""},
		{"GET", "/readyz", "", "", ""},
	} {
		f.Add(s.method, s.path, s.query, s.header, []byte(s.body))
	}

	f.Fuzz(func(t *testing.T, method, path, query, header string, body []byte) {
		target := ids.Replace(path)
		if query != "" {
			target += "?" + query
		}
		var raw bytes.Buffer
		fmt.Fprintf(&raw, "%s %s HTTP/1.1\r\nHost: fuzz\r\n", method, target)
		if header != "" {
			raw.WriteString(header + "\r\n")
		}
		fmt.Fprintf(&raw, "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
		raw.Write(body)
		req, err := http.ReadRequest(bufio.NewReader(&raw))
		if err != nil {
			return // net/http answers 400 itself; the API never sees it
		}
		if strings.EqualFold(req.Method, "CONNECT") {
			return // a proxy request: net/http's server never routes it to the API like this
		}
		rec := httptest.NewRecorder()
		fx.api.ServeHTTP(rec, req)
		res := rec.Result()
		out := rec.Body.Bytes()

		if res.StatusCode >= 500 {
			t.Fatalf("%s %q: status %d: %s", method, target, res.StatusCode, out)
		}
		if res.StatusCode >= 400 {
			if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("%s %q: status %d with Content-Type %q, want application/problem+json", method, target, res.StatusCode, ct)
			}
			var p httpapi.Problem
			if err := json.Unmarshal(out, &p); err != nil || p.Status != res.StatusCode || p.Type == "" || p.Title == "" {
				t.Fatalf("%s %q: status %d with problem %s (%v)", method, target, res.StatusCode, out, err)
			}
		}
		if bytes.Contains(out, []byte(fuzzSecret)) {
			t.Fatalf("%s %q: the response holds the stored client secret: %s", method, target, out)
		}
		var sent struct {
			ClientSecret string `json:"client_secret"`
		}
		if json.Unmarshal(body, &sent) == nil && len(sent.ClientSecret) >= 8 && bytes.Contains(out, []byte(sent.ClientSecret)) {
			t.Fatalf("%s %q: the response echoes the client_secret sent: %s", method, target, out)
		}
	})
}
