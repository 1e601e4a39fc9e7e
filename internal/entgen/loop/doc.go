// Package loop holds no code: its tests run the README's "Add an entity"
// loop end to end in a temporary copy of the module (new schema file, one
// edge on Tenant, go generate ./..., go run ./cmd/dbdiff --apply, then the
// generated typed and tenant-scoped API against the migrated database), and
// benchmark it.
package loop
