package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// AppMeta holds facts about the database itself as key/value pairs, such as
// the environment it was seeded for ("seed_environment"), which guards
// against running development seeds on a production database.
type AppMeta struct{ ent.Schema }

// Fields of AppMeta.
func (AppMeta) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").StorageKey("key").NotEmpty().Immutable(),
		field.String("value"),
		field.Time("updated_at").Default(timeNow).UpdateDefault(timeNow).SchemaType(timestamptzType).
			Annotations(entsql.Default("CURRENT_TIMESTAMP")),
	}
}

// Annotations of AppMeta.
func (AppMeta) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("app_meta")}
}
