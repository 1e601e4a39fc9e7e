package migrations

import "embed"

// FS holds the migration files and atlas.sum at its root.
//
//go:embed *.sql atlas.sum
var FS embed.FS
