// Package tenantctx carries the tenant of an operation in its context, for
// PostgreSQL row-level security.
//
// Every tenant-owned table has policies that compare its tenant_id with the
// transaction-local setting app.tenant_id (see internal/schemadiff's RLS
// diff). The generated tenant scope (ent.Client.ForTenant) puts its tenant
// into the context of every query and mutation it runs; internal/pgxdriver
// reads it back with From and sets app.tenant_id in the same round trip as
// the statement (see its doc). Without a tenant in the context no setting is
// sent, so a tenant-owned table shows no rows and refuses every write.
//
// The setting's value is the canonical UUID text of the tenant ID, produced
// here from 16 bytes: never text that a caller supplied, so no quoting
// question arises even where it is spliced into SQL (Setting).
package tenantctx
