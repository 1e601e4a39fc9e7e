// Package mixin holds the ent schema mixins shared by Central's entities, one
// small type per concern, each checked at compile time to implement ent.Mixin.
//
// # Mixins
//
//   - [ID] (via [NewID]): a ULID-as-UUID primary key typed per entity
//     (entityid.TenantID, ...), generated in Go so rows land in time order in
//     the primary-key index. mixin.NewID("tenant", entityid.NewTenantID) is
//     also the declaration internal/entgen reads to generate the ID type.
//   - [TenantOwned], [TenantOwnedVia]: the entity's tenancy. TenantOwned adds
//     tenant_id; both mark the schema ([TenancyAnnotation]) so the generator
//     derives the tenant scope (ent.Client.ForTenant) and ent.Entities().
//   - [Timestamps]: created_at (immutable) and updated_at (set on every update),
//     both timestamptz NOT NULL DEFAULT now().
//   - [S3Locator]: bucket and object_name, with CHECK constraints that enforce
//     S3's bucket naming rules and a non-empty object name in PostgreSQL itself.
//
// # Usage
//
//	func (User) Mixin() []ent.Mixin {
//		return []ent.Mixin{
//			mixin.NewID("user", entityid.NewUserID),
//			mixin.Timestamps{},
//			mixin.TenantOwned{},
//		}
//	}
package mixin
