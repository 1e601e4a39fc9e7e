package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/mixin"
)

// StoredObject records a file a tenant keeps in S3-compatible storage.
type StoredObject struct{ ent.Schema }

// Mixin of StoredObject.
func (StoredObject) Mixin() []ent.Mixin {
	return []ent.Mixin{mixin.NewID("stored_object", entityid.NewStoredObjectID), mixin.Timestamps{}, mixin.S3Locator{}, mixin.TenantOwned{}}
}

// Fields of StoredObject.
func (StoredObject) Fields() []ent.Field {
	return []ent.Field{
		field.String("content_type").Default("application/octet-stream").MaxRuneLen(255),
		field.Int64("size_bytes").NonNegative(),
	}
}

// Edges of StoredObject.
func (StoredObject) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("tenant", Tenant.Type).Ref("stored_objects").Field("tenant_id").Unique().Required().Immutable(),
	}
}

// Indexes of StoredObject: a location holds one object; a tenant's objects
// are listed by (tenant_id, id).
func (StoredObject) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("bucket", "object_name").Unique(),
		index.Fields("tenant_id", "id"),
	}
}

// Annotations of StoredObject.
func (StoredObject) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{"size_nonnegative": `size_bytes >= 0`}),
	}
}
