package schema

import (
	"strings"

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

// User is a person who signs in to a tenant.
type User struct{ ent.Schema }

// Mixin of User.
func (User) Mixin() []ent.Mixin {
	return []ent.Mixin{mixin.NewID("user", entityid.NewUserID), mixin.Timestamps{}, mixin.TenantOwned{}}
}

// Fields of User.
func (User) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").
			MaxRuneLen(320).
			Match(emailPattern).
			Validate(func(s string) error {
				if s != strings.ToLower(s) {
					return errLowercase("email")
				}
				return nil
			}).
			Comment("lowercase; unique per tenant"),
		field.String("display_name").Optional().MaxRuneLen(200),
		field.Enum("status").
			Values("active", "disabled").
			Default("active").
			SchemaType(pgEnum("user_status")),
		field.Other("idp_user_info", jsonb.SealedIdPUserInfo{}).
			SchemaType(jsonbType).
			Optional().
			Sensitive().
			Comment("sensitive: envelope-encrypted at rest, never in public views"),
		field.JSON("profile", jsonb.UserProfile{}).
			Default(jsonb.UserProfile{}).
			Annotations(entsql.DefaultExpr("'{}'::jsonb")).
			Comment("non-sensitive, queryable (GIN jsonb_path_ops): locale, time zone, title, attributes"),
	}
}

// Edges of User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("tenant", Tenant.Type).Ref("users").Field("tenant_id").Unique().Required().Immutable(),
		edge.To("tags", UserTag.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of User: email is unique per tenant, listing a tenant's users
// pages by (tenant_id, id), and profile containment filters (profile @> $1)
// use a GIN index; jsonb_path_ops supports only @> (and jsonpath matches),
// which is all the filters use, and is smaller and faster than jsonb_ops.
func (User) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "email").Unique(),
		index.Fields("tenant_id", "id"),
		index.Fields("profile").Annotations(entsql.IndexType("GIN"), entsql.OpClass("jsonb_path_ops")),
	}
}

// Annotations of User.
func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			"email_lowercase": `email = lower(email)`,
			"email_format":    `email ~ '` + emailRegexp + `'`,
		}),
	}
}
