package service_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/central/central/ent"
	"github.com/central/central/internal/entgen/isolation"
	"github.com/central/central/internal/entmeta"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/service"
)

// TestEveryTenantOwnedEntityIsIsolated creates, through the services, rows
// of every tenant-owned entity in two tenants and runs the generic check of
// internal/entgen/isolation, which walks ent.Entities(): for each entity,
// another tenant's rows must be invisible to query and get, and untouched by
// update and delete, through the generated scopes. A new tenant-owned entity
// makes this test fail ("no rows in tenant ...") until the services create
// it here; the checks themselves need no new code.
//
// Deliberate bugs it catches: a scoped client whose predicate is dropped for
// one operation in internal/entgen/template/tenantscope.tmpl (e.g.
// UpdateOneID returning c.c.UpdateOneID(id) without .Where), or an entity
// left out of the scope.
func TestEveryTenantOwnedEntityIsIsolated(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	for _, slug := range []string{"iso-a", "iso-b"} {
		tn, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: slug, DisplayName: slug})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Users.TxCreateUser(ctx, tn.ID, service.CreateUserInput{
			Email: "ann@" + slug + ".example", Tags: map[string]string{"team": "red"},
			IdPUserInfo: &jsonb.IdPUserInfo{Subject: "sub", Issuer: "https://idp.example"},
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Connectors.Create(ctx, tn.ID, service.CreateConnectorInput{
			Name: "okta", Issuer: "https://okta.example", ClientID: "client",
			State: jsonb.OIDCConnectorState{ClientSecret: "secret"},
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Objects.Create(ctx, tn.ID, service.CreateObjectInput{Bucket: "bucket-" + slug, ObjectName: "f", SizeBytes: 1}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := e.svc.Tenants.List(ctx, [16]byte{}, 10)
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("tenants: %+v, %v", page, err)
	}
	if err := isolation.Check(ctx, e.db.Client(), page.Items[0].ID, page.Items[1].ID); err != nil {
		t.Fatal(err)
	}
}

// TestServicesReachTenantOwnedEntitiesOnlyThroughScopes reads the services'
// source and fails on any <client>.<Entity>.<operation> where Entity is
// tenant-owned (from ent.Entities()) and <client> is not a
// ForTenant(...) scope. Creates of entities owned through a parent (their
// scope has no Create) are allowed: the services check the parent first. A
// deliberate exception carries a "central:unscoped <why>" comment on the
// line or the line before.
//
// Deliberate bug it catches: writing s.store.Reader(ctx).User.Query() (the
// pre-scope form) anywhere in a service.
func TestServicesReachTenantOwnedEntitiesOnlyThroughScopes(t *testing.T) {
	owned := map[string]entmeta.Tenancy{}
	for _, e := range ent.Entities() {
		if e.Tenancy != entmeta.Global {
			owned[e.Name] = e.Tenancy
		}
	}
	ops := map[string]bool{"Query": true, "Get": true, "GetX": true, "Exist": true, "Count": true,
		"Create": true, "CreateBulk": true, "MapCreateBulk": true,
		"Update": true, "UpdateOne": true, "UpdateOneID": true, "Delete": true, "DeleteOne": true, "DeleteOneID": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		excused := map[int]bool{}
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				if strings.Contains(c.Text, "central:unscoped ") {
					l := fset.Position(c.Pos()).Line
					excused[l], excused[l+1] = true, true
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			op, ok := n.(*ast.SelectorExpr)
			if !ok || !ops[op.Sel.Name] {
				return true
			}
			ent, ok := op.X.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			tenancy, isOwned := owned[ent.Sel.Name]
			if !isOwned {
				return true
			}
			checked++
			pos := fset.Position(op.Pos())
			if call, ok := ent.X.(*ast.CallExpr); ok {
				if fn, ok := call.Fun.(*ast.SelectorExpr); ok && fn.Sel.Name == "ForTenant" {
					return true
				}
			}
			if tenancy == entmeta.TenantOwnedVia && strings.HasPrefix(op.Sel.Name, "Create") || strings.HasPrefix(op.Sel.Name, "MapCreate") && tenancy == entmeta.TenantOwnedVia {
				return true
			}
			if excused[pos.Line] {
				return true
			}
			t.Errorf("%s: %s.%s on tenant-owned %s without ForTenant(tid): use <client>.ForTenant(tid).%s.%s", pos, ent.Sel.Name, op.Sel.Name, ent.Sel.Name, ent.Sel.Name, op.Sel.Name)
			return true
		})
	}
	if checked < 10 {
		t.Fatalf("only %d operations on tenant-owned entities found: is the scan looking at the services?", checked)
	}
}

// TestScopeGuards covers what the scoped builders alone would let through.
// Deliberate bugs they catch: removing the guard hook from ForTenant in
// internal/entgen/template/tenantscope.tmpl (then a create can be moved to
// another tenant with SetTenantID), and removing the read-only driver from
// ReadOnly() in template/readonly.tmpl (then a query's promoted
// ExecContext runs DDL through the read-only view of the read-write pool).
func TestScopeGuards(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	a, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "guard-a", DisplayName: "A"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "guard-b", DisplayName: "B"})
	if err != nil {
		t.Fatal(err)
	}
	c := e.db.Client()
	_, err = c.ForTenant(a.ID).User.Create().SetTenantID(b.ID).SetEmail("x@b.example").Save(ctx)
	if !errors.Is(err, ent.ErrTenantScope) {
		t.Errorf("create through tenant A's scope with tenant_id B: err = %v, want ErrTenantScope", err)
	}
	if n := e.count(t, "users"); n != 0 {
		t.Errorf("%d users written", n)
	}
	if _, err := c.ReadOnly().User.Query().ExecContext(ctx, "CREATE TABLE leaked ()"); err == nil {
		t.Error("ExecContext through the read-only view succeeded")
	}
	var exists bool
	if err := e.raw.QueryRowContext(ctx, "SELECT to_regclass('leaked') IS NOT NULL").Scan(&exists); err != nil || exists {
		t.Errorf("table leaked exists = %v (%v)", exists, err)
	}
	if _, err := c.ReadOnly().User.Query().Count(ctx); err != nil {
		t.Errorf("reads through the read-only view fail: %v", err)
	}
}
