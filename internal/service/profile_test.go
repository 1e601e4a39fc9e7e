package service_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/service"
)

func TestListByProfile(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	a, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "acme", DisplayName: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "bravo", DisplayName: "Bravo"})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(tn entityid.TenantID, email string, p jsonb.UserProfile) {
		t.Helper()
		if _, err := e.svc.Users.TxCreateUser(ctx, tn, service.CreateUserInput{Email: email, Profile: p}); err != nil {
			t.Fatal(err)
		}
	}
	mk(a.ID, "ada@acme.example", jsonb.UserProfile{Locale: "en-GB", TimeZone: "Europe/London", Attributes: map[string]string{"team": "compilers", "floor": "3"}})
	mk(a.ID, "grace@acme.example", jsonb.UserProfile{Locale: "en-US", Attributes: map[string]string{"team": "compilers"}})
	mk(a.ID, "linus@acme.example", jsonb.UserProfile{Locale: "fi-FI", Title: "Kernel hacker", Attributes: map[string]string{"team": "kernel"}})
	mk(a.ID, "nobody@acme.example", jsonb.UserProfile{})
	// Same attributes in another tenant: never listed for acme.
	mk(b.ID, "ada@bravo.example", jsonb.UserProfile{Locale: "en-GB", Attributes: map[string]string{"team": "compilers"}})

	emails := func(f service.ProfileFilter) []string {
		t.Helper()
		p, err := e.svc.Users.ListByProfile(ctx, a.ID, f, entityid.UserID{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range p.Items {
			out = append(out, u.Email)
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		name   string
		filter service.ProfileFilter
		want   []string
	}{
		{"attribute", service.ProfileFilter{Attributes: map[string]string{"team": "compilers"}}, []string{"ada@acme.example", "grace@acme.example"}},
		{"two attributes", service.ProfileFilter{Attributes: map[string]string{"team": "compilers", "floor": "3"}}, []string{"ada@acme.example"}},
		{"locale", service.ProfileFilter{Locale: "fi-FI"}, []string{"linus@acme.example"}},
		{"locale and attribute", service.ProfileFilter{Locale: "en-US", Attributes: map[string]string{"team": "compilers"}}, []string{"grace@acme.example"}},
		{"title", service.ProfileFilter{Title: "Kernel hacker"}, []string{"linus@acme.example"}},
		{"time zone", service.ProfileFilter{TimeZone: "Europe/London"}, []string{"ada@acme.example"}},
		{"no match", service.ProfileFilter{Attributes: map[string]string{"team": "sales"}}, nil},
		// A value that would break out of string-built SQL or JSON is
		// just a value: the document is a bound parameter.
		{"quotes", service.ProfileFilter{Attributes: map[string]string{"team": `x"}' OR '1'='1`}}, nil},
		{"empty filter lists all", service.ProfileFilter{}, []string{"ada@acme.example", "grace@acme.example", "linus@acme.example", "nobody@acme.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := emails(tt.filter); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}

	// The public view carries the profile.
	p, err := e.svc.Users.ListByProfile(ctx, a.ID, service.ProfileFilter{Locale: "en-GB"}, entityid.UserID{}, 0)
	if err != nil || len(p.Items) != 1 || p.Items[0].Profile.Attributes["floor"] != "3" {
		t.Fatalf("profile in the view: %+v, %v", p.Items, err)
	}

	// Paging follows the filter.
	p1, err := e.svc.Users.ListByProfile(ctx, a.ID, service.ProfileFilter{Attributes: map[string]string{"team": "compilers"}}, entityid.UserID{}, 1)
	if err != nil || len(p1.Items) != 1 || !p1.HasMore {
		t.Fatalf("page 1: %+v, %v", p1, err)
	}
	p2, err := e.svc.Users.ListByProfile(ctx, a.ID, service.ProfileFilter{Attributes: map[string]string{"team": "compilers"}}, p1.Next, 1)
	if err != nil || len(p2.Items) != 1 || p2.HasMore || p2.Items[0].ID == p1.Items[0].ID {
		t.Fatalf("page 2: %+v, %v", p2, err)
	}
}

func TestListByProfileInvalid(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	tn, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "acme", DisplayName: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	many := map[string]string{}
	for i := range jsonb.MaxProfileAttributes + 1 {
		many[string(rune('a'+i%26))+string(rune('a'+i/26))] = "v"
	}
	tests := []struct {
		name   string
		filter service.ProfileFilter
		field  string
	}{
		{"NUL in a value", service.ProfileFilter{Attributes: map[string]string{"team": "a\x00b"}}, "profile.attributes.team"},
		{"invalid UTF-8", service.ProfileFilter{Title: "\xff"}, "profile.title"},
		{"bad key", service.ProfileFilter{Attributes: map[string]string{"Team!": "x"}}, "profile.attributes"},
		{"empty value", service.ProfileFilter{Attributes: map[string]string{"team": ""}}, "profile.attributes.team"},
		{"bad locale", service.ProfileFilter{Locale: "english please"}, "profile.locale"},
		{"bad time zone", service.ProfileFilter{TimeZone: "../../etc/passwd"}, "profile.time_zone"},
		{"too many attributes", service.ProfileFilter{Attributes: many}, "profile.attributes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Users.ListByProfile(ctx, tn.ID, tt.filter, entityid.UserID{}, 0)
			var ie *service.InvalidError
			if !errors.Is(err, service.ErrInvalid) || !errors.As(err, &ie) || ie.Field != tt.field {
				t.Fatalf("err = %v, want ErrInvalid on field %s", err, tt.field)
			}
			// The same rules guard writes.
			_, err = e.svc.Users.TxCreateUser(ctx, tn.ID, service.CreateUserInput{Email: "x@acme.example", Profile: tt.filter})
			if !errors.Is(err, service.ErrInvalid) {
				t.Fatalf("create with that profile: err = %v, want ErrInvalid", err)
			}
		})
	}
	if n := e.count(t, "users"); n != 0 {
		t.Fatalf("%d users written by refused calls", n)
	}
}

func TestSetProfile(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	a, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "acme", DisplayName: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "bravo", DisplayName: "Bravo"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.svc.Users.TxCreateUser(ctx, a.ID, service.CreateUserInput{Email: "ada@acme.example", Tags: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Users.SetProfile(ctx, a.ID, u.ID, jsonb.UserProfile{Locale: "de-DE", Attributes: map[string]string{"team": "db"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Profile.Locale != "de-DE" || len(got.Tags) != 1 {
		t.Fatalf("set profile returned %+v", got)
	}
	if _, err := e.svc.Users.SetProfile(ctx, b.ID, u.ID, jsonb.UserProfile{Locale: "fr-FR"}); !errors.Is(err, service.ErrNotFound) {
		t.Fatalf("another tenant's user: err = %v, want ErrNotFound", err)
	}
	var stored string
	if err := e.raw.QueryRowContext(ctx, `SELECT profile::text FROM users WHERE email = 'ada@acme.example'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != `{"locale": "de-DE", "attributes": {"team": "db"}}` {
		t.Fatalf("stored profile %s", stored)
	}
	if n := e.count(t, "audit_events WHERE action = 'user.set_profile'"); n != 1 {
		t.Fatalf("%d set_profile audit events, want 1", n)
	}
}
