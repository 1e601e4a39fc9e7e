package entgen_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"entgo.io/ent"
	"entgo.io/ent/entc/gen"
	"entgo.io/ent/entc/load"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/central/central/internal/entgen"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/mixin"
	"github.com/central/central/internal/richid"
)

// Test schemas, declared here so the graph is built in-process (no go/packages).
type (
	Org struct{ ent.Schema }
	// Team reuses the tenant prefix: a duplicate.
	Team struct{ ent.Schema }
	// Member's org_id is typed as a UserID although it points to Org.
	Member struct{ ent.Schema }
	// Plain has a uuid key without the rich-ID mixin.
	Plain struct{ ent.Schema }
	// Bad declares a malformed prefix.
	Bad struct{ ent.Schema }
)

func (Org) Mixin() []ent.Mixin  { return []ent.Mixin{mixin.NewID(entityid.NewTenantID)} }
func (Team) Mixin() []ent.Mixin { return []ent.Mixin{mixin.NewID(entityid.NewTenantID)} }

func (Member) Mixin() []ent.Mixin { return []ent.Mixin{mixin.NewID(entityid.NewUserID)} }
func (Member) Fields() []ent.Field {
	return []ent.Field{field.UUID("org_id", entityid.UserID{})}
}
func (Member) Edges() []ent.Edge {
	return []ent.Edge{edge.To("org", Org.Type).Field("org_id").Unique().Required()}
}

func (Plain) Fields() []ent.Field { return []ent.Field{field.UUID("id", entityid.SeedID{})} }

type badKind struct{}

func (badKind) Prefix() string { return "Bad-Prefix" }

type badID struct{ richid.ID[badKind] }

func newBadID() badID { return badID{} }

func (Bad) Mixin() []ent.Mixin { return []ent.Mixin{mixin.NewID(newBadID)} }

func graph(t *testing.T, schemas ...ent.Interface) *gen.Graph {
	t.Helper()
	var loaded []*load.Schema
	for _, s := range schemas {
		b, err := load.MarshalSchema(s)
		if err != nil {
			t.Fatalf("marshal %T: %v", s, err)
		}
		ls, err := load.UnmarshalSchema(b)
		if err != nil {
			t.Fatalf("unmarshal %T: %v", s, err)
		}
		loaded = append(loaded, ls)
	}
	g, err := gen.NewGraph(&gen.Config{Package: "example.com/x/ent"}, loaded...)
	if err != nil {
		t.Fatalf("build graph: %v", err)
	}
	return g
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		schemas []ent.Interface
		want    []string // substrings of the error; none means valid
	}{
		{name: "valid", schemas: []ent.Interface{Org{}}},
		{
			name:    "duplicate prefix",
			schemas: []ent.Interface{Org{}, Team{}},
			want:    []string{`prefix "tenant" is used by Org and Team`},
		},
		{
			name:    "foreign key typed as another entity's ID",
			schemas: []ent.Interface{Org{}, Member{}},
			want:    []string{`Member.org_id: foreign key has Go type entityid.UserID, but edge "org" points to Org whose ID type is entityid.TenantID`},
		},
		{
			name:    "uuid key without mixin",
			schemas: []ent.Interface{Plain{}},
			want:    []string{"Plain: uuid primary key without mixin.NewID"},
		},
		{
			name:    "malformed prefix",
			schemas: []ent.Interface{Bad{}},
			want:    []string{`Bad: prefix "Bad-Prefix"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := entgen.Validate(graph(t, tt.schemas...))
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, entgen.ErrInvalidSchema) {
				t.Fatalf("Validate error = %v, want ErrInvalidSchema", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not mention %q", err, w)
				}
			}
		})
	}
}

// TestReadOnlyClientRejectsWritesAtCompileTime builds a program that writes
// through ent.ReadOnlyClient and asserts the compiler refuses each write.
func TestReadOnlyClientRejectsWritesAtCompileTime(t *testing.T) {
	out, err := exec.Command("go", "build", "-o", "/dev/null", "./testdata/readonlywrite").CombinedOutput()
	if err == nil {
		t.Fatal("a program writing through ReadOnlyClient compiled; the read-only client exposes a write")
	}
	// The compiler spells the receiver type with its full import path, so
	// match the selector and the missing method separately.
	for _, want := range []struct{ selector, method string }{
		{"ro.Tenant.Create", "TenantReadOnlyClient has no field or method Create)"},
		{"ro.Tenant.Update", "TenantReadOnlyClient has no field or method Update)"},
		{"ro.Tenant.UpdateOneID", "TenantReadOnlyClient has no field or method UpdateOneID)"},
		{"ro.User.Delete", "UserReadOnlyClient has no field or method Delete)"},
		{"ro.Tx", "ReadOnlyClient has no field or method Tx)"},
	} {
		line := want.selector + " undefined (type "
		found := false
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, line) && strings.HasSuffix(l, want.method) {
				found = true
			}
		}
		if !found {
			t.Errorf("compiler output lacks %q ... %q:\n%s", line, want.method, out)
		}
	}
}
