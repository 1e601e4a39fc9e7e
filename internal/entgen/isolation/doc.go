// Package isolation proves tenant isolation for every tenant-owned entity
// of the generated schema, without naming any: it walks ent.Entities() and
// the generated scopes (ent.Client.ForTenant(tid).Entities()) and the
// unscoped clients (ent.Client.TenantOwnedEntities(), which must refuse
// every operation with ent.ErrUnscopedTenantQuery), so an entity
// added to ent/schema (or to a test module's schema) is covered with no new
// test code. Tests call [Check] after creating rows of each tenant-owned
// entity in two tenants; it fails when an entity has no rows, so it cannot
// pass vacuously.
package isolation
