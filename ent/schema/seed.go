package schema

import (
	"regexp"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/mixin"
)

// Seed is the ledger of applied seed files (app metadata, not business data):
// one row per seed, with the SHA-256 of the file that ran, so a changed seed
// is detected instead of silently re-run or ignored.
type Seed struct{ ent.Schema }

// Mixin of Seed.
func (Seed) Mixin() []ent.Mixin {
	return []ent.Mixin{mixin.NewID("seed", entityid.NewSeedID)}
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Fields of Seed.
func (Seed) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().Immutable(),
		field.Enum("environment").
			Values("development", "test", "production").
			Immutable().
			SchemaType(pgEnum("app_environment")),
		field.String("sha256").Match(sha256Hex),
		field.Time("applied_at").Immutable().SchemaType(timestamptzType).
			Annotations(entsql.Default("CURRENT_TIMESTAMP")),
		field.Int64("duration_ms").NonNegative(),
		field.String("app_version").Default(""),
	}
}

// Indexes of Seed: a seed name is applied once per environment.
func (Seed) Indexes() []ent.Index {
	return []ent.Index{index.Fields("name", "environment").Unique()}
}

// Annotations of Seed.
func (Seed) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			"sha256_hex":           `sha256 ~ '^[0-9a-f]{64}$'`,
			"duration_nonnegative": `duration_ms >= 0`,
		}),
	}
}
