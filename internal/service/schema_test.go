package service_test

// TEMPORARY: until the project's migrations (migrations/ + internal/migrate)
// are wired into dbtest's default template, the template gets its schema
// from ent's auto-migration. Remove this file and schemaOption's callers'
// argument once dbtest migrates by default.

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"testing/fstest"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/central/central/ent"
	"github.com/central/central/internal/dbtest"
)

func schemaOption() dbtest.Option {
	return dbtest.WithMigrations(fstest.MapFS{"ent-auto-schema-v1": {Data: []byte("v1")}}, applyEntSchema)
}

func applyEntSchema(ctx context.Context, db *sql.DB, _ fs.FS) error {
	for _, q := range []string{
		`CREATE TYPE tenant_status AS ENUM ('active', 'suspended')`,
		`CREATE TYPE user_status AS ENUM ('active', 'disabled')`,
		`CREATE TYPE app_environment AS ENUM ('development', 'test', 'production')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	c := ent.NewClient(ent.Driver(entsql.OpenDB("postgres", db)))
	return c.Schema.Create(ctx)
}
