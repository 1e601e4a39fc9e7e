// Package migrations is the project's Atlas migration directory, embedded.
//
// # Layout
//
// <version>_<name>.sql files (version: UTC 20060102150405) and atlas.sum, in
// the atlas CLI's format: `atlas migrate status --dir file://migrations` and
// `atlas migrate apply` work on it unchanged. Files name no roles, so the
// directory applies to any server. Never edit an applied file: add one.
//
// # Writing a migration
//
// Change ent/schema, regenerate (go generate ./ent), then
//
//	go run ./cmd/app db diff <name>
//
// which writes the next file from the ent schema and rewrites atlas.sum. The
// drift test (drift_test.go) fails while ent/schema and this directory
// disagree, and prints that command.
//
// # Applying
//
//	res, err := migrate.Up(ctx, db, migrations.FS) // internal/migrate
package migrations
