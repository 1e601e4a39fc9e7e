package httpapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestUserProfileFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	acme, globex := f.createTenant(t, "acme"), f.createTenant(t, "globex")
	base := "/v1/tenants/" + acme.ID + "/users"
	for _, body := range []string{
		`{"email":"ada@acme.test","profile":{"locale":"en-GB","attributes":{"team":"compilers"}}}`,
		`{"email":"grace@acme.test","profile":{"locale":"en-US","time_zone":"America/New_York","attributes":{"team":"compilers","floor":"3"}}}`,
		`{"email":"linus@acme.test","profile":{"locale":"fi-FI","title":"Maintainer","attributes":{"team":"kernel"}}}`,
		`{"email":"plain@acme.test"}`,
	} {
		if r := f.do(t, "POST", base, body); r.status != http.StatusCreated {
			t.Fatalf("create %s: %d %s", body, r.status, r.body)
		}
	}
	if r := f.do(t, "POST", "/v1/tenants/"+globex.ID+"/users", `{"email":"ada@globex.test","profile":{"attributes":{"team":"compilers"}}}`); r.status != http.StatusCreated {
		t.Fatalf("create in globex: %d %s", r.status, r.body)
	}
	list := func(query string) []string {
		t.Helper()
		r := f.do(t, "GET", base+"?"+query, "")
		if r.status != http.StatusOK {
			t.Fatalf("GET ?%s: %d %s", query, r.status, r.body)
		}
		var page struct {
			Items []struct {
				Email   string
				Profile struct{ Locale string }
			}
		}
		r.json(t, &page)
		var out []string
		for _, u := range page.Items {
			out = append(out, u.Email)
		}
		slices.Sort(out)
		return out
	}
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"attr.team=compilers", []string{"ada@acme.test", "grace@acme.test"}},
		{"attr.team=compilers&attr.floor=3", []string{"grace@acme.test"}},
		{"locale=fi-FI", []string{"linus@acme.test"}},
		{"locale=en-GB&attr.team=compilers", []string{"ada@acme.test"}},
		{"time_zone=America/New_York", []string{"grace@acme.test"}},
		{"title=Maintainer", []string{"linus@acme.test"}},
		{"attr.team=" + url.QueryEscape(`x"}' OR 1=1 --`), nil},
		{"", []string{"ada@acme.test", "grace@acme.test", "linus@acme.test", "plain@acme.test"}},
		{"unrelated=1", []string{"ada@acme.test", "grace@acme.test", "linus@acme.test", "plain@acme.test"}},
	} {
		if got := list(tt.query); !slices.Equal(got, tt.want) {
			t.Errorf("?%s: %v, want %v", tt.query, got, tt.want)
		}
	}
	if got := list("attr.team=compilers&limit=1"); len(got) != 1 {
		t.Errorf("paged filter: %v, want one user", got)
	}

	// Bad filters are 400 problems that say what is wrong.
	for _, tt := range []struct{ query, mention string }{
		{"attr.=x", "name the attribute"},
		{"attr.team=a&attr.team=b", "given 2 times"},
		{"attr.team=", "empty"},
		{"attr.Team%21=x", "key"},
		{"attr.team=a%00b", "control character"},
		{"attr.team=%FF", "UTF-8"},
		{"locale=english+please", "language tag"},
		{"time_zone=..%2F..%2Fetc%2Fpasswd", "time zone"},
		{"attr.team=" + strings.Repeat("x", 300), "at most 256"},
		{"attr." + strings.Repeat("k", 5000) + "=x", "key"},
	} {
		r := f.do(t, "GET", base+"?"+tt.query, "")
		if r.status != http.StatusBadRequest {
			t.Errorf("?%.60s: %d %s, want 400", tt.query, r.status, r.body)
			continue
		}
		if p := r.problem(t); !strings.Contains(p.Detail, tt.mention) {
			t.Errorf("?%.60s: detail %q does not mention %q", tt.query, p.Detail, tt.mention)
		} else if len(p.Detail) > 400 {
			t.Errorf("?%.60s: detail of %d bytes echoes the input", tt.query, len(p.Detail))
		}
	}

	// PUT replaces the profile; a bad one is a 400 and changes nothing.
	var page struct{ Items []struct{ ID string } }
	f.do(t, "GET", base+"?title=Maintainer", "").json(t, &page)
	u := page.Items[0]
	if r := f.do(t, "PUT", base+"/"+u.ID+"/profile", `{"locale":"sv-SE","attributes":{"team":"compilers"}}`); r.status != http.StatusOK {
		t.Fatalf("put profile: %d %s", r.status, r.body)
	}
	if got := list("attr.team=compilers"); len(got) != 3 {
		t.Errorf("after PUT: %v", got)
	}
	if r := f.do(t, "PUT", base+"/"+u.ID+"/profile", `{"locale":"sv-SE","attributes":{"team":"a\u0000b"}}`); r.status != http.StatusBadRequest {
		t.Errorf("NUL in a profile: %d %s", r.status, r.body)
	}
	if r := f.do(t, "PUT", base+"/"+u.ID+"/profile", `{"locale":"sv-SE","secret":"x"}`); r.status != http.StatusBadRequest {
		t.Errorf("unknown profile field: %d %s", r.status, r.body)
	}
	if r := f.do(t, "PUT", "/v1/tenants/"+globex.ID+"/users/"+u.ID+"/profile", `{}`); r.status != http.StatusNotFound {
		t.Errorf("profile through another tenant: %d %s", r.status, r.body)
	}
	if got := list("locale=sv-SE"); len(got) != 1 {
		t.Errorf("refused PUTs changed the profile: %v", got)
	}
}
