package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/mixin"
)

// UserTag is a key/value label on a user; a user has at most one value per key.
type UserTag struct{ ent.Schema }

// Mixin of UserTag.
func (UserTag) Mixin() []ent.Mixin {
	return []ent.Mixin{mixin.NewID("user_tag", entityid.NewUserTagID), mixin.Timestamps{}, mixin.TenantOwnedVia{Edge: "user"}}
}

// Fields of UserTag.
func (UserTag) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("user_id", entityid.UserID{}).Immutable(),
		field.String("key").Immutable().Match(tagKeyPattern),
		field.String("value").MaxRuneLen(1024),
	}
}

// Edges of UserTag.
func (UserTag) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("tags").Field("user_id").Unique().Required().Immutable(),
	}
}

// Indexes of UserTag: one value per (user, key); the same index serves
// "all tags of a user" through its leading column.
func (UserTag) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "key").Unique()}
}

// Annotations of UserTag.
func (UserTag) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			"key_format":   `key ~ '` + jsonb.TagKeyPattern + `'`,
			"value_length": `char_length(value) <= 1024`,
		}),
	}
}
