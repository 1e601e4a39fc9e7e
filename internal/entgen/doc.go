// Package entgen is Central's entc extension: the part of `go generate ./ent`
// that is ours rather than ent's.
//
// # What it adds
//
//   - A ReadOnlyClient (ent/readonly.go) exposing only reads: Query, Get,
//     GetX, Count, Exist and the edge queries. Writing through it does not
//     compile. Entities loaded through it carry a mutation hook that refuses
//     to save them, because entity.Update() exists on every entity type.
//   - The rich-ID table (ent/richid.go): every entity's prefix, as declared by
//     mixin.NewID, with a lookup from prefix to entity.
//
// # What it checks
//
// Code generation fails, naming the schemas involved, when a prefix is
// malformed, when two schemas share a prefix, when a schema has no rich ID,
// or when a foreign-key field's Go type is not the ID type of the entity its
// edge points to (so a users.tenant_id declared as entityid.UserID is caught at
// generation time instead of at the first query).
//
// # Usage
//
// In ent/entc.go (behind //go:build ignore):
//
//	err := entc.Generate("./schema", &gen.Config{...}, entc.Extensions(entgen.New()))
package entgen
