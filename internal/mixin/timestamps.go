package mixin

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/field"
	entmixin "entgo.io/ent/schema/mixin"
)

// Timestamps adds created_at (immutable) and updated_at (refreshed on every
// update through ent). Both are timestamptz NOT NULL DEFAULT now(): the
// database default covers rows written outside ent (seeds via COPY, manual
// fixes), and the Go default keeps the value on the entity returned by Save
// without a second round trip.
type Timestamps struct{ entmixin.Schema }

// Fields declares created_at and updated_at.
func (Timestamps) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").
			Default(time.Now).
			Immutable().
			SchemaType(timestamptz).
			Annotations(entsql.Default("CURRENT_TIMESTAMP")),
		field.Time("updated_at").
			Default(time.Now).
			UpdateDefault(time.Now).
			SchemaType(timestamptz).
			Annotations(entsql.Default("CURRENT_TIMESTAMP")),
	}
}

var timestamptz = map[string]string{dialect.Postgres: "timestamptz"}

var _ ent.Mixin = Timestamps{}
