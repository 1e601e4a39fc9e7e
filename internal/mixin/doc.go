// Package mixin holds the ent schema mixins shared by Central's entities, one
// small type per concern, each checked at compile time to implement ent.Mixin.
//
// # Mixins
//
//   - [ID]: a ULID-as-UUID primary key typed per entity (entityid.TenantID, ...),
//     generated in Go so rows land in time order in the primary-key index. It
//     annotates the schema with the entity's rich-ID prefix ([RichIDAnnotation]),
//     which the code generator (internal/entgen) validates across schemas.
//   - [Timestamps]: created_at (immutable) and updated_at (set on every update),
//     both timestamptz NOT NULL DEFAULT now().
//   - [S3Locator]: bucket and object_name, with CHECK constraints that enforce
//     S3's bucket naming rules and a non-empty object name in PostgreSQL itself.
//
// # Usage
//
//	func (Tenant) Mixin() []ent.Mixin {
//		return []ent.Mixin{
//			mixin.NewID(entityid.NewTenantID),
//			mixin.Timestamps{},
//		}
//	}
package mixin
