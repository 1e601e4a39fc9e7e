package schema

import "entgo.io/ent/dialect"

// pgEnum names the PostgreSQL enum type backing an ent enum field.
func pgEnum(name string) map[string]string { return map[string]string{dialect.Postgres: name} }

// timestamptzType maps time fields to timestamptz (ent's default on
// PostgreSQL is "timestamp with time zone" too; naming it keeps diffs stable).
var timestamptzType = map[string]string{dialect.Postgres: "timestamptz"}

// jsonbType stores envelope-encrypted documents, whose Go types are not
// field.JSON (they seal and open themselves), as jsonb.
var jsonbType = map[string]string{dialect.Postgres: "jsonb"}
