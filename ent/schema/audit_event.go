package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/mixin"
)

// AuditEvent records one write made through a service, in the same
// transaction as the write. It deliberately has no foreign key to tenants:
// the trail must outlive what it describes.
type AuditEvent struct{ ent.Schema }

// Mixin of AuditEvent.
func (AuditEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{mixin.NewID("audit_event", entityid.NewAuditEventID), mixin.TenantOwned{Optional: true}}
}

// Fields of AuditEvent.
func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.String("actor").Default("").Immutable().Comment("who acted, when known"),
		field.String("action").NotEmpty().Immutable().Comment(`e.g. "tenant.create"`),
		field.String("entity_id").NotEmpty().Immutable().Comment("rich ID of the entity written"),
		field.Time("at").Default(timeNow).Immutable().SchemaType(timestamptzType).
			Annotations(entsql.Default("CURRENT_TIMESTAMP")),
		field.JSON("details", jsonb.AuditDetails{}).Optional().Immutable(),
	}
}

// Indexes of AuditEvent: a tenant's trail in time order, and an entity's history.
func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "id"),
		index.Fields("entity_id"),
	}
}

// Annotations of AuditEvent.
func (AuditEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{"action_format": `action ~ '^[a-z_]+\.[a-z_]+$'`}),
	}
}
