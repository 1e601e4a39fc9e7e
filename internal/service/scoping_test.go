package service_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/service"
)

// fixture is two tenants, A owning one of each entity, and B owning nothing.
type fixture struct {
	a, b      entityid.TenantID
	user      entityid.UserID
	connector entityid.OIDCConnectorID
	object    entityid.StoredObjectID
}

func newFixture(t *testing.T, e *env) fixture {
	t.Helper()
	ctx := ctxT(t)
	a, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "tenant-a", DisplayName: "A"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "tenant-b", DisplayName: "B"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.svc.Users.TxCreateUser(ctx, a.ID, service.CreateUserInput{
		Email: "ann@a.example", DisplayName: "Ann",
		IdPUserInfo: &jsonb.IdPUserInfo{Subject: "sub-ann", Issuer: "https://idp.a.example"},
		Tags:        map[string]string{"team": "red"},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.svc.Connectors.Create(ctx, a.ID, service.CreateConnectorInput{
		Name: "okta", Issuer: "https://a.okta.example", ClientID: "client-a",
		State: jsonb.OIDCConnectorState{ClientSecret: "secret-a"},
	})
	if err != nil {
		t.Fatal(err)
	}
	o, err := e.svc.Objects.Create(ctx, a.ID, service.CreateObjectInput{Bucket: "bucket-a", ObjectName: "a/file.txt", SizeBytes: 3})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{a: a.ID, b: b.ID, user: u.ID, connector: c.ID, object: o.ID}
}

// TestTenantScoping calls every tenant-scoped method with tenant B and IDs
// of tenant A's entities: each must behave as not found (or list nothing)
// and change nothing, audit trail included.
func TestTenantScoping(t *testing.T) {
	e := newEnv(t)
	f := newFixture(t, e)
	s := e.svc
	str := func(v string) *string { return &v }
	yes := true
	size := int64(99)
	status := service.UserDisabled

	tests := []struct {
		name string
		call func(ctx context.Context, tenant entityid.TenantID) error
		// empty: the method returns a list; scoped to B it must be empty
		// (and for A non-empty) instead of ErrNotFound.
		list bool
	}{
		{name: "Users.Get", call: func(ctx context.Context, tn entityid.TenantID) error {
			_, err := s.Users.Get(ctx, tn, f.user)
			return err
		}},
		{name: "Users.GetPrivate", call: func(ctx context.Context, tn entityid.TenantID) error {
			_, err := s.Users.GetPrivate(ctx, tn, f.user)
			return err
		}},
		{name: "Users.GetByEmail", call: func(ctx context.Context, tn entityid.TenantID) error {
			_, err := s.Users.GetByEmail(ctx, tn, "ann@a.example")
			return err
		}},
		{name: "Users.List", list: true, call: func(ctx context.Context, tn entityid.TenantID) error {
			p, err := s.Users.List(ctx, tn, entityid.UserID{}, 10)
			return listResult(len(p.Items), err)
		}},
		{name: "Users.Update", call: func(ctx context.Context, tn entityid.TenantID) error {
			_, err := s.Users.Update(ctx, tn, f.user, service.UpdateUserInput{DisplayName: str("Mallory"), Status: &status})
			return err
		}},
		{name: "Users.SetIdPUserInfo", call: func(ctx context.Context, tn entityid.TenantID) error {
			return s.Users.SetIdPUserInfo(ctx, tn, f.user, &jsonb.IdPUserInfo{Subject: "evil"})
		}},
		{name: "Users.SetTag", call: func(ctx context.Context, tn entityid.TenantID) error {
			_, err := s.Users.SetTag(ctx, tn, f.user, "team", "blue")
			return err
		}},
		{name: "Users.ListTags", call: func(ctx context.Context, tn entityid.TenantID) error {
			_, err := s.Users.ListTags(ctx, tn, f.user)
			return err
		}},
		{name: "Users.DeleteTag", call: func(ctx context.Context, tn entityid.TenantID) error {
			return s.Users.DeleteTag(ctx, tn, f.user, "team")
		}},
		{name: "Users.Delete", call: func(ctx context.Context, tn entityid.TenantID) error {
			return s.Users.Delete(ctx, tn, f.user)
		}},
		{name: "Connectors.Get", call: func(ctx context.Context, tn entityid.TenantID) error {
			_, err := s.Connectors.Get(ctx, tn, f.connector)
			return err
		}},
		{name: "Connectors.GetPrivate", call: func(ctx context.Context, tn entityid.TenantID) error {
			_, err := s.Connectors.GetPrivate(ctx, tn, f.connector)
			return err
		}},
		{name: "Connectors.List", list: true, call: func(ctx context.Context, tn entityid.TenantID) error {
			p, err := s.Connectors.List(ctx, tn, entityid.OIDCConnectorID{}, 10)
			return listResult(len(p.Items), err)
		}},
		{name: "Connectors.Update", call: func(ctx context.Context, tn entityid.TenantID) error {
			_, err := s.Connectors.Update(ctx, tn, f.connector, service.UpdateConnectorInput{Name: str("evil"), Enabled: &yes})
			return err
		}},
		{name: "Connectors.SetState", call: func(ctx context.Context, tn entityid.TenantID) error {
			return s.Connectors.SetState(ctx, tn, f.connector, jsonb.OIDCConnectorState{ClientSecret: "evil"})
		}},
		{name: "Connectors.Delete", call: func(ctx context.Context, tn entityid.TenantID) error {
			return s.Connectors.Delete(ctx, tn, f.connector)
		}},
		{name: "Objects.Get", call: func(ctx context.Context, tn entityid.TenantID) error {
			_, err := s.Objects.Get(ctx, tn, f.object)
			return err
		}},
		{name: "Objects.GetPrivate", call: func(ctx context.Context, tn entityid.TenantID) error {
			_, err := s.Objects.GetPrivate(ctx, tn, f.object)
			return err
		}},
		{name: "Objects.List", list: true, call: func(ctx context.Context, tn entityid.TenantID) error {
			p, err := s.Objects.List(ctx, tn, entityid.StoredObjectID{}, 10)
			return listResult(len(p.Items), err)
		}},
		{name: "Objects.Update", call: func(ctx context.Context, tn entityid.TenantID) error {
			_, err := s.Objects.Update(ctx, tn, f.object, service.UpdateObjectInput{SizeBytes: &size})
			return err
		}},
		{name: "Objects.Delete", call: func(ctx context.Context, tn entityid.TenantID) error {
			return s.Objects.Delete(ctx, tn, f.object)
		}},
		{name: "Audit.List", list: true, call: func(ctx context.Context, tn entityid.TenantID) error {
			// B has its own events (its creation): count A's user's ones.
			p, err := s.Audit.List(ctx, tn, entityid.AuditEventID{}, 100)
			n := 0
			for _, ev := range p.Items {
				if ev.TenantID == nil || *ev.TenantID != tn {
					return fmt.Errorf("event %+v listed for tenant %s", ev, tn)
				}
				if ev.EntityID == f.user.String() {
					n++
				}
			}
			return listResult(n, err)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := ctxT(t)
			before := e.snapshot(t)
			err := tt.call(ctx, f.b)
			if !errors.Is(err, service.ErrNotFound) {
				t.Fatalf("with tenant B: err = %v, want ErrNotFound", err)
			}
			if after := e.snapshot(t); after != before {
				t.Fatalf("with tenant B the database changed:\nbefore %s\nafter  %s", before, after)
			}
			if tt.list {
				// The same call for tenant A must see the entity: the test
				// would otherwise pass on an always-empty list.
				if err := tt.call(ctx, f.a); err != nil {
					t.Fatalf("with tenant A: %v", err)
				}
			}
		})
	}
	// Reads and writes with tenant A work (run after the B checks, which
	// must not have changed anything; deletes last).
	for _, tt := range tests {
		if tt.list {
			continue
		}
		if err := tt.call(ctxT(t), f.a); err != nil {
			t.Errorf("%s with tenant A: %v", tt.name, err)
		}
	}
}

// listResult turns an empty list into ErrNotFound so list methods fit the
// table: empty for another tenant, non-empty for the owner.
func listResult(n int, err error) error {
	if err != nil {
		return err
	}
	if n == 0 {
		return service.ErrNotFound
	}
	return nil
}

// TestCreateInMissingTenant: creating under a tenant that does not exist is
// ErrNotFound, not a raw foreign-key error, and writes nothing.
func TestCreateInMissingTenant(t *testing.T) {
	e := newEnv(t)
	missing := entityid.NewTenantID()
	ctx := ctxT(t)
	calls := map[string]func() error{
		"Users.TxCreateUser": func() error {
			_, err := e.svc.Users.TxCreateUser(ctx, missing, service.CreateUserInput{Email: "x@y.example"})
			return err
		},
		"Connectors.Create": func() error {
			_, err := e.svc.Connectors.Create(ctx, missing, service.CreateConnectorInput{Name: "n", Issuer: "https://i.example", ClientID: "c"})
			return err
		},
		"Objects.Create": func() error {
			_, err := e.svc.Objects.Create(ctx, missing, service.CreateObjectInput{Bucket: "bucket-x", ObjectName: "x", SizeBytes: 1})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			before := e.snapshot(t)
			err := call()
			var nf *service.NotFoundError
			if !errors.As(err, &nf) || nf.Entity != "tenant" {
				t.Fatalf("err = %v, want a tenant *NotFoundError", err)
			}
			if after := e.snapshot(t); after != before {
				t.Fatalf("database changed: %s → %s", before, after)
			}
		})
	}
}
