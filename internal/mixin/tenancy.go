package mixin

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	entmixin "entgo.io/ent/schema/mixin"

	"github.com/central/central/internal/entityid"
)

// TenantIDField is the name (and column) of the tenant field TenantOwned
// adds: the one spelling the generator (internal/entgen), its templates and
// the generated metadata (entmeta.Entity.TenantColumn) use.
const TenantIDField = "tenant_id"

// TenantOwned declares that an entity's rows belong to one tenant. It adds
// the immutable tenant_id column (entityid.TenantID; NOT NULL unless
// Optional) and marks the schema so the generator derives the tenant
// scoping: ent.Client.ForTenant(tid).<Entity> filters every query, update
// and delete by tenant_id and presets it on create, every unscoped use of
// the entity fails with ent.ErrUnscopedTenantQuery, ent.Entities() lists
// the entity as tenant-owned and the migration diff gives its table a
// row-level security policy. The schema still declares its edge to
// Tenant (edge.From("tenant", Tenant.Type).Ref(...).Field("tenant_id")).
type TenantOwned struct {
	entmixin.Schema
	// Optional allows rows outside any tenant (tenant_id NULL). They are
	// invisible through every tenant scope.
	Optional bool
}

// Fields declares tenant_id.
func (m TenantOwned) Fields() []ent.Field {
	f := field.UUID(TenantIDField, entityid.TenantID{}).Immutable()
	if m.Optional {
		f = f.Optional().Nillable()
	}
	return []ent.Field{f}
}

// Annotations marks the entity tenant-owned for the generator.
func (m TenantOwned) Annotations() []schema.Annotation {
	return []schema.Annotation{TenancyAnnotation{Owned: true, Optional: m.Optional}}
}

// TenantOwnedVia declares that an entity's rows belong to the tenant of
// their parent, reached through the named unique, required edge to a
// TenantOwned entity (a user's tags belong to the user's tenant). Its tenant
// scope filters through the edge: usertag.HasUserWith(user.TenantID(tid));
// unscoped use fails as for TenantOwned; its row-level security policy
// requires the parent row to be visible (EXISTS under the parent's policy).
type TenantOwnedVia struct {
	entmixin.Schema
	Edge string
}

// Annotations marks the entity tenant-owned through its parent.
func (m TenantOwnedVia) Annotations() []schema.Annotation {
	return []schema.Annotation{TenancyAnnotation{Owned: true, Via: m.Edge}}
}

// TenancyAnnotation carries an entity's tenancy to the code generator. An
// entity without it is global.
type TenancyAnnotation struct {
	Owned    bool   `json:"owned"`
	Optional bool   `json:"optional,omitempty"`
	Via      string `json:"via,omitempty"`
}

// TenancyAnnotationName is the key of [TenancyAnnotation] in ent's graph.
const TenancyAnnotationName = "Tenancy"

// Name implements schema.Annotation.
func (TenancyAnnotation) Name() string { return TenancyAnnotationName }

var (
	_ ent.Mixin = TenantOwned{}
	_ ent.Mixin = TenantOwnedVia{}
)
