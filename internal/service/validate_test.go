package service_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/service"
)

// TestHostileTextIsInvalidNotInternal feeds every text field NUL, invalid
// UTF-8, over-long and blank values. Each must be ErrInvalid naming the
// field, and nothing may be written. Deliberate bugs this catches: dropping
// the validate* call at the top of a service method (NUL reaches
// PostgreSQL: SQLSTATE 22021, an unclassified error, a 500), or counting
// bytes instead of characters (the 1,024-character é value is refused).
func TestHostileTextIsInvalidNotInternal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	tn, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "acme", DisplayName: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.svc.Users.TxCreateUser(ctx, tn.ID, service.CreateUserInput{Email: "ann@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.svc.Connectors.Create(ctx, tn.ID, service.CreateConnectorInput{Name: "okta", Issuer: "https://okta.test", ClientID: "cid"})
	if err != nil {
		t.Fatal(err)
	}
	ptr := func(s string) *string { return &s }
	const nul, bad, surrogate = "a\x00b", "a\xffb", "a\xed\xa0\x80b"
	type call func(v string) error
	fields := []struct {
		field string
		call  call
	}{
		{"display_name", func(v string) error {
			_, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "other", DisplayName: v})
			return err
		}},
		{"display_name", func(v string) error {
			_, err := e.svc.Tenants.Update(ctx, tn.ID, service.UpdateTenantInput{DisplayName: &v})
			return err
		}},
		{"email", func(v string) error {
			_, err := e.svc.Users.TxCreateUser(ctx, tn.ID, service.CreateUserInput{Email: "x" + v + "@acme.test"})
			return err
		}},
		{"display_name", func(v string) error {
			_, err := e.svc.Users.TxCreateUser(ctx, tn.ID, service.CreateUserInput{Email: "new@acme.test", DisplayName: v})
			return err
		}},
		{"display_name", func(v string) error {
			_, err := e.svc.Users.Update(ctx, tn.ID, u.ID, service.UpdateUserInput{DisplayName: ptr(v)})
			return err
		}},
		{"tags.team", func(v string) error {
			_, err := e.svc.Users.TxCreateUser(ctx, tn.ID, service.CreateUserInput{Email: "new@acme.test", Tags: map[string]string{"team": v}})
			return err
		}},
		{"tags.team", func(v string) error { _, err := e.svc.Users.SetTag(ctx, tn.ID, u.ID, "team", v); return err }},
		{"key", func(v string) error { return e.svc.Users.DeleteTag(ctx, tn.ID, u.ID, v) }},
		{"key", func(v string) error { _, err := e.svc.Users.SetTag(ctx, tn.ID, u.ID, v, "x"); return err }},
		{"name", func(v string) error {
			_, err := e.svc.Connectors.Create(ctx, tn.ID, service.CreateConnectorInput{Name: v, Issuer: "https://i.test", ClientID: "c"})
			return err
		}},
		{"issuer", func(v string) error {
			_, err := e.svc.Connectors.Create(ctx, tn.ID, service.CreateConnectorInput{Name: "n2", Issuer: "https://i.test/" + v, ClientID: "c"})
			return err
		}},
		{"client_id", func(v string) error {
			_, err := e.svc.Connectors.Create(ctx, tn.ID, service.CreateConnectorInput{Name: "n3", Issuer: "https://i.test", ClientID: v})
			return err
		}},
		{"name", func(v string) error {
			_, err := e.svc.Connectors.Update(ctx, tn.ID, c.ID, service.UpdateConnectorInput{Name: &v})
			return err
		}},
		{"scopes[0]", func(v string) error {
			return e.svc.Connectors.SetState(ctx, tn.ID, c.ID, jsonb.OIDCConnectorState{Scopes: []string{v}})
		}},
		{"object_name", func(v string) error {
			_, err := e.svc.Objects.Create(ctx, tn.ID, service.CreateObjectInput{Bucket: "bucket", ObjectName: v})
			return err
		}},
	}
	before := e.snapshot(t)
	for _, f := range fields {
		for name, v := range map[string]string{"NUL": nul, "invalid UTF-8": bad, "surrogate": surrogate} {
			err := f.call(v)
			var ie *service.InvalidError
			if !errors.As(err, &ie) || ie.Field != f.field {
				t.Errorf("%s with %s: %v, want an *InvalidError for field %s", f.field, name, err, f.field)
			}
		}
	}
	if after := e.snapshot(t); after != before {
		t.Errorf("rejected input changed the database:\n%s\n%s", before, after)
	}

	// Blank: every Unicode space counts, not only ' ' as in btrim.
	for _, v := range []string{"", " ", "\t\n", "\u00a0", " \u2003\r\n"} {
		if _, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "blank", DisplayName: v}); !errors.Is(err, service.ErrInvalid) {
			t.Errorf("tenant display_name %q: %v, want ErrInvalid", v, err)
		}
		if _, err := e.svc.Connectors.Create(ctx, tn.ID, service.CreateConnectorInput{Name: v, Issuer: "https://i.test", ClientID: "c"}); !errors.Is(err, service.ErrInvalid) {
			t.Errorf("connector name %q: %v, want ErrInvalid", v, err)
		}
	}

	// Length counts characters, as char_length in the CHECK does.
	long := strings.Repeat("é", 1024)
	if _, err := e.svc.Users.SetTag(ctx, tn.ID, u.ID, "accent", long); err != nil {
		t.Errorf("1,024-character value (2,048 bytes): %v, want accepted", err)
	}
	if _, err := e.svc.Users.SetTag(ctx, tn.ID, u.ID, "accent", long+"é"); !errors.Is(err, service.ErrInvalid) {
		t.Errorf("1,025-character value: %v, want ErrInvalid", err)
	}
	if _, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "accented", DisplayName: strings.Repeat("é", 200)}); err != nil {
		t.Errorf("200-character display name: %v, want accepted", err)
	}
}

// TestDeclaredLimits checks each declared limit at its edge: the limit is
// accepted, one more is ErrInvalid. Deliberate bugs: removing a limit (a
// user with 10,923 tags then fails in pgx with a 500), or the FOR UPDATE in
// reserveTagRoom (concurrent sets would pass the count together).
func TestDeclaredLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	tn, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "acme", DisplayName: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	tags := func(n int) map[string]string {
		m := map[string]string{}
		for i := range n {
			m[fmt.Sprintf("k%d", i)] = "v"
		}
		return m
	}
	if _, err := e.svc.Users.TxCreateUser(ctx, tn.ID, service.CreateUserInput{Email: "over@acme.test", Tags: tags(service.MaxTagsPerUser + 1)}); !errors.Is(err, service.ErrInvalid) {
		t.Errorf("%d tags: %v, want ErrInvalid", service.MaxTagsPerUser+1, err)
	}
	if _, err := e.svc.Users.TxCreateUser(ctx, tn.ID, service.CreateUserInput{Email: "huge@acme.test", Tags: tags(10923)}); !errors.Is(err, service.ErrInvalid) {
		t.Errorf("10,923 tags: %v, want ErrInvalid", err)
	}
	u, err := e.svc.Users.TxCreateUser(ctx, tn.ID, service.CreateUserInput{Email: "full@acme.test", Tags: tags(service.MaxTagsPerUser)})
	if err != nil {
		t.Fatalf("%d tags: %v", service.MaxTagsPerUser, err)
	}
	if _, err := e.svc.Users.SetTag(ctx, tn.ID, u.ID, "k0", "changed"); err != nil {
		t.Errorf("changing an existing tag of a full user: %v", err)
	}
	if _, err := e.svc.Users.SetTag(ctx, tn.ID, u.ID, "one-more", "v"); !errors.Is(err, service.ErrInvalid) {
		t.Errorf("tag %d: %v, want ErrInvalid", service.MaxTagsPerUser+1, err)
	}

	// Concurrent new keys on a user with one free slot: exactly one wins.
	v, err := e.svc.Users.TxCreateUser(ctx, tn.ID, service.CreateUserInput{Email: "race@acme.test", Tags: tags(service.MaxTagsPerUser - 1)})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for i := range 4 {
		go func() { _, err := e.svc.Users.SetTag(ctx, tn.ID, v.ID, fmt.Sprintf("race%d", i), "v"); errs <- err }()
	}
	var won int
	for range 4 {
		if err := <-errs; err == nil {
			won++
		} else if !errors.Is(err, service.ErrInvalid) {
			t.Errorf("concurrent SetTag: %v", err)
		}
	}
	if got, _ := e.svc.Users.ListTags(ctx, tn.ID, v.ID); won != 1 || len(got) != service.MaxTagsPerUser {
		t.Errorf("%d concurrent sets won, user has %d tags; want 1 and %d", won, len(got), service.MaxTagsPerUser)
	}

	scopes := make([]string, service.MaxScopesPerConnector+1)
	for i := range scopes {
		scopes[i] = "s"
	}
	for _, tt := range []struct {
		name string
		st   jsonb.OIDCConnectorState
		ok   bool
	}{
		{"max scopes", jsonb.OIDCConnectorState{Scopes: scopes[1:]}, true},
		{"too many scopes", jsonb.OIDCConnectorState{Scopes: scopes}, false},
		{"200,000 scopes", jsonb.OIDCConnectorState{Scopes: make([]string, 200_000)}, false},
		{"max secret", jsonb.OIDCConnectorState{ClientSecret: strings.Repeat("s", service.MaxClientSecretBytes)}, true},
		{"1 MB secret", jsonb.OIDCConnectorState{ClientSecret: strings.Repeat("s", 1<<20)}, false},
		{"long scope", jsonb.OIDCConnectorState{Scopes: []string{strings.Repeat("s", service.MaxScopeChars+1)}}, false},
	} {
		_, err := e.svc.Connectors.Create(ctx, tn.ID, service.CreateConnectorInput{Name: tt.name, Issuer: "https://i.test", ClientID: "c", State: tt.st})
		if tt.ok && err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if !tt.ok && !errors.Is(err, service.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", tt.name, err)
		}
		if err != nil && strings.Contains(err.Error(), "sss") {
			t.Errorf("%s: error quotes the value: %.200s", tt.name, err)
		}
	}

	if _, err := e.svc.Users.List(ctx, tn.ID, u.ID, service.MaxUserPageLimit); err != nil {
		t.Errorf("users page of %d: %v", service.MaxUserPageLimit, err)
	}
	if _, err := e.svc.Users.List(ctx, tn.ID, u.ID, service.MaxUserPageLimit+1); !errors.Is(err, service.ErrInvalid) {
		t.Errorf("users page of %d: %v, want ErrInvalid", service.MaxUserPageLimit+1, err)
	}
	if _, err := e.svc.Users.ListByProfile(ctx, tn.ID, service.ProfileFilter{Locale: "en"}, u.ID, service.MaxUserPageLimit+1); !errors.Is(err, service.ErrInvalid) {
		t.Errorf("users page by profile of %d: %v, want ErrInvalid", service.MaxUserPageLimit+1, err)
	}
}
