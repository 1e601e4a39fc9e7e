package entgen_test

import (
	"errors"
	"strings"
	"testing"

	"entgo.io/ent"
	"entgo.io/ent/entc/gen"
	"entgo.io/ent/entc/load"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/central/central/internal/entgen"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
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

func (Org) Mixin() []ent.Mixin  { return []ent.Mixin{mixin.NewID("tenant", entityid.NewTenantID)} }
func (Team) Mixin() []ent.Mixin { return []ent.Mixin{mixin.NewID("tenant", entityid.NewTenantID)} }

// Liar declares the prefix "liar" but passes the tenant constructor.
type Liar struct{ ent.Schema }

func (Liar) Mixin() []ent.Mixin { return []ent.Mixin{mixin.NewID("liar", entityid.NewTenantID)} }

// Stray has a tenant_id but is not declared tenant-owned.
type Stray struct{ ent.Schema }

func (Stray) Mixin() []ent.Mixin { return []ent.Mixin{mixin.NewID("stray", entityid.NewUserID)} }
func (Stray) Fields() []ent.Field {
	return []ent.Field{field.UUID("tenant_id", entityid.TenantID{})}
}

// Doc is tenant-owned; Note is owned via Doc; Orphan claims ownership via
// an edge to Org, which is global; Leak has a sealed field not Sensitive.
type (
	Doc    struct{ ent.Schema }
	Note   struct{ ent.Schema }
	Orphan struct{ ent.Schema }
	Leak   struct{ ent.Schema }
)

func (Doc) Mixin() []ent.Mixin {
	return []ent.Mixin{mixin.NewID("user", entityid.NewUserID), mixin.TenantOwned{}}
}
func (Doc) Edges() []ent.Edge {
	return []ent.Edge{edge.To("org", Org.Type).Field("tenant_id").Unique().Required().Immutable()}
}
func (Note) Mixin() []ent.Mixin {
	return []ent.Mixin{mixin.NewID("user_tag", entityid.NewUserTagID), mixin.TenantOwnedVia{Edge: "doc"}}
}
func (Note) Fields() []ent.Field { return []ent.Field{field.UUID("doc_id", entityid.UserID{})} }
func (Note) Edges() []ent.Edge {
	return []ent.Edge{edge.To("doc", Doc.Type).Field("doc_id").Unique().Required()}
}
func (Orphan) Mixin() []ent.Mixin {
	return []ent.Mixin{mixin.NewID("seed", entityid.NewSeedID), mixin.TenantOwnedVia{Edge: "org"}}
}
func (Orphan) Fields() []ent.Field { return []ent.Field{field.UUID("org_id", entityid.TenantID{})} }
func (Orphan) Edges() []ent.Edge {
	return []ent.Edge{edge.To("org", Org.Type).Field("org_id").Unique().Required()}
}
func (Leak) Mixin() []ent.Mixin {
	return []ent.Mixin{mixin.NewID("audit_event", entityid.NewAuditEventID)}
}
func (Leak) Fields() []ent.Field {
	return []ent.Field{field.Other("secret", jsonb.SealedOIDCConnectorState{}).SchemaType(map[string]string{"postgres": "jsonb"})}
}

func (Member) Mixin() []ent.Mixin { return []ent.Mixin{mixin.NewID("user", entityid.NewUserID)} }
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

func (Bad) Mixin() []ent.Mixin { return []ent.Mixin{mixin.NewID("Bad-Prefix", newBadID)} }

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
		{name: "valid tenancy", schemas: []ent.Interface{Org{}, Doc{}, Note{}}},
		{
			name:    "prefix declared for another entity's constructor",
			schemas: []ent.Interface{Liar{}},
			want:    []string{`Liar: mixin.NewID declares prefix "liar" but its constructor makes "tenant" IDs`},
		},
		{
			name:    "tenant_id without the tenancy declaration",
			schemas: []ent.Interface{Stray{}},
			want:    []string{"Stray: has a tenant_id field but is not declared tenant-owned"},
		},
		{
			name:    "owned via an edge to a global entity",
			schemas: []ent.Interface{Org{}, Orphan{}},
			want:    []string{"Orphan: edge \"org\" of mixin.TenantOwnedVia points to Org, which is not declared mixin.TenantOwned"},
		},
		{
			name:    "sealed field not sensitive",
			schemas: []ent.Interface{Leak{}},
			want:    []string{"Leak.secret: sealed field must be .Sensitive()"},
		},
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
