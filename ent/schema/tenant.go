package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/mixin"
)

// Tenant is an organisation using Central; every other business entity
// belongs to exactly one tenant.
type Tenant struct{ ent.Schema }

// Mixin of Tenant.
func (Tenant) Mixin() []ent.Mixin {
	return []ent.Mixin{mixin.NewID("tenant", entityid.NewTenantID), mixin.Timestamps{}}
}

// Fields of Tenant.
func (Tenant) Fields() []ent.Field {
	return []ent.Field{
		field.String("slug").
			Unique().
			Immutable().
			Validate(slugFormat).
			Validate(noDoubleHyphen).
			Comment("URL-safe handle, 3–63 lowercase letters, digits and inner hyphens"),
		field.String("display_name").
			NotEmpty().
			MaxRuneLen(200),
		field.Enum("status").
			Values("active", "suspended").
			Default("active").
			SchemaType(pgEnum("tenant_status")),
	}
}

// Edges of Tenant. Users, connectors and objects cannot outlive their tenant.
func (Tenant) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("users", User.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("oidc_connectors", OIDCConnector.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("stored_objects", StoredObject.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Annotations of Tenant.
func (Tenant) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			"slug_format":           "slug ~ '" + slugRegexp + "' AND slug !~ '--'",
			"display_name_nonblank": `btrim(display_name) <> ''`,
		}),
	}
}
