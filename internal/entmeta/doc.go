// Package entmeta holds the types of the metadata that Central's entc
// extension (internal/entgen) derives from ent/schema: for each entity its
// table, rich-ID prefix, tenancy and sealed (envelope-encrypted) columns.
//
// The values themselves are generated into package ent (ent.Entities and
// ent.SealedColumns); nothing here is a hand-kept list. Packages that must act
// on every entity of a kind (the rekey job, the tenant-isolation tests, the
// row-level-security policies) take these values instead of naming tables.
package entmeta
