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

// OIDCConnector is a tenant's connection to an OpenID Connect identity provider.
type OIDCConnector struct{ ent.Schema }

// Mixin of OIDCConnector.
func (OIDCConnector) Mixin() []ent.Mixin {
	return []ent.Mixin{mixin.NewID("oidc_connector", entityid.NewOIDCConnectorID), mixin.Timestamps{}, mixin.TenantOwned{}}
}

// Fields of OIDCConnector.
func (OIDCConnector) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(100),
		field.String("issuer").MaxRuneLen(2048).Match(issuerPattern),
		field.String("client_id").NotEmpty().MaxRuneLen(512),
		field.Bool("enabled").Default(true),
		field.Other("state", jsonb.SealedOIDCConnectorState{}).
			SchemaType(jsonbType).
			Sensitive().
			Comment("sensitive: envelope-encrypted at rest, never in public views"),
	}
}

// Edges of OIDCConnector.
func (OIDCConnector) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("tenant", Tenant.Type).Ref("oidc_connectors").Field("tenant_id").Unique().Required().Immutable(),
	}
}

// Indexes of OIDCConnector: names are unique per tenant, which also serves
// listing a tenant's connectors.
func (OIDCConnector) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "name").Unique()}
}

// Annotations of OIDCConnector.
func (OIDCConnector) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Table("oidc_connectors"),
		entsql.Checks(map[string]string{
			"issuer_is_url": `issuer ~ '` + issuerRegexp + `'`,
			"name_nonblank": `btrim(name) <> ''`,
		}),
	}
}
