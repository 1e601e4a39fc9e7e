package service_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/service"
)

func TestErrors(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	a, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "acme", DisplayName: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "beta", DisplayName: "Beta"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Users.TxCreateUser(ctx, a.ID, service.CreateUserInput{Email: "ann@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Connectors.Create(ctx, a.ID, service.CreateConnectorInput{Name: "okta", Issuer: "https://okta.example", ClientID: "c"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Objects.Create(ctx, a.ID, service.CreateObjectInput{Bucket: "bucket-a", ObjectName: "k", SizeBytes: 1}); err != nil {
		t.Fatal(err)
	}
	// Tenant B has its own ann@ (emails are unique per tenant only) and zed@.
	if _, err := e.svc.Users.TxCreateUser(ctx, b.ID, service.CreateUserInput{Email: "ann@example.com"}); err != nil {
		t.Fatal(err)
	}
	zed, err := e.svc.Users.TxCreateUser(ctx, b.ID, service.CreateUserInput{Email: "zed@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	blank := "   "

	tests := []struct {
		name       string
		call       func() error
		want       error
		fields     []string // ConflictError.Fields
		field      string   // InvalidError.Field
		constraint string   // InvalidError.Constraint (CHECK rejections)
	}{
		{name: "duplicate slug", want: service.ErrConflict, fields: []string{"slug"}, call: func() error {
			_, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "acme", DisplayName: "Again"})
			return err
		}},
		{name: "duplicate tenant ID", want: service.ErrConflict, fields: []string{"id"}, call: func() error {
			_, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{ID: a.ID, Slug: "other", DisplayName: "x"})
			return err
		}},
		{name: "duplicate email in tenant (case-insensitive input)", want: service.ErrConflict, fields: []string{"email"}, call: func() error {
			_, err := e.svc.Users.TxCreateUser(ctx, a.ID, service.CreateUserInput{Email: " Ann@Example.com "})
			return err
		}},
		{name: "email update to a taken one", want: service.ErrConflict, fields: []string{"email"}, call: func() error {
			taken := "ann@example.com"
			_, err = e.svc.Users.Update(ctx, b.ID, zed.ID, service.UpdateUserInput{Email: &taken})
			return err
		}},
		{name: "duplicate connector name in tenant", want: service.ErrConflict, fields: []string{"name"}, call: func() error {
			_, err := e.svc.Connectors.Create(ctx, a.ID, service.CreateConnectorInput{Name: "okta", Issuer: "https://x.example", ClientID: "c"})
			return err
		}},
		{name: "duplicate object location", want: service.ErrConflict, fields: []string{"bucket", "object_name"}, call: func() error {
			_, err := e.svc.Objects.Create(ctx, b.ID, service.CreateObjectInput{Bucket: "bucket-a", ObjectName: "k", SizeBytes: 1})
			return err
		}},
		{name: "bad slug (Go validator)", want: service.ErrInvalid, field: "slug", call: func() error {
			_, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "Not A Slug", DisplayName: "x"})
			return err
		}},
		{name: "slug with -- (Go validator mirrors the CHECK)", want: service.ErrInvalid, field: "slug", call: func() error {
			_, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "a--b", DisplayName: "x"})
			return err
		}},
		// The edge validation mirrors display_name_nonblank (with every
		// Unicode space), so the CHECK is no longer the one to refuse it.
		{name: "blank display name", want: service.ErrInvalid, field: "display_name", call: func() error {
			_, err := e.svc.Tenants.Update(ctx, a.ID, service.UpdateTenantInput{DisplayName: &blank})
			return err
		}},
		{name: "bad email", want: service.ErrInvalid, field: "email", call: func() error {
			_, err := e.svc.Users.TxCreateUser(ctx, a.ID, service.CreateUserInput{Email: "not-an-email"})
			return err
		}},
		{name: "bad tag key", want: service.ErrInvalid, field: "key", call: func() error {
			_, err := e.svc.Users.TxCreateUser(ctx, a.ID, service.CreateUserInput{Email: "bob@example.com", Tags: map[string]string{"Bad Key": "v"}})
			return err
		}},
		{name: "bad issuer", want: service.ErrInvalid, field: "issuer", call: func() error {
			_, err := e.svc.Connectors.Create(ctx, a.ID, service.CreateConnectorInput{Name: "x", Issuer: "ftp://x", ClientID: "c"})
			return err
		}},
		{name: "bad bucket", want: service.ErrInvalid, field: "bucket", call: func() error {
			_, err := e.svc.Objects.Create(ctx, a.ID, service.CreateObjectInput{Bucket: "UPPER", ObjectName: "k"})
			return err
		}},
		{name: "negative size", want: service.ErrInvalid, field: "size_bytes", call: func() error {
			_, err := e.svc.Objects.Create(ctx, a.ID, service.CreateObjectInput{Bucket: "bucket-b", ObjectName: "k", SizeBytes: -1})
			return err
		}},
		{name: "page limit too large", want: service.ErrInvalid, field: "limit", call: func() error {
			_, err := e.svc.Users.List(ctx, a.ID, entityid.UserID{}, service.MaxLimit+1)
			return err
		}},
		{name: "negative page limit", want: service.ErrInvalid, field: "limit", call: func() error {
			_, err := e.svc.Tenants.List(ctx, entityid.TenantID{}, -1)
			return err
		}},
		{name: "missing tenant", want: service.ErrNotFound, call: func() error {
			_, err := e.svc.Tenants.Get(ctx, entityid.NewTenantID())
			return err
		}},
		{name: "missing tag", want: service.ErrNotFound, call: func() error {
			u, err := e.svc.Users.GetByEmail(ctx, a.ID, "ann@example.com")
			if err != nil {
				return err
			}
			return e.svc.Users.DeleteTag(ctx, a.ID, u.ID, "nope")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.snapshot(t)
			err := tt.call()
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if after := e.snapshot(t); after != before {
				t.Fatalf("a failed call changed the database")
			}
			var ce *service.ConflictError
			if tt.fields != nil {
				if !errors.As(err, &ce) || !slices.Equal(ce.Fields, tt.fields) {
					t.Fatalf("err = %v: want a *ConflictError with fields %v", err, tt.fields)
				}
			}
			var ie *service.InvalidError
			if tt.field != "" && (!errors.As(err, &ie) || ie.Field != tt.field) {
				t.Fatalf("err = %v: want an *InvalidError on field %q", err, tt.field)
			}
			if tt.constraint != "" && (!errors.As(err, &ie) || !strings.Contains(ie.Constraint, tt.constraint)) {
				t.Fatalf("err = %v: want an *InvalidError for CHECK %q", err, tt.constraint)
			}
		})
	}
}
