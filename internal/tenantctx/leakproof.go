package tenantctx

// LeakproofSQL marks jsonb @> (pg_catalog.jsonb_contains) LEAKPROOF, so that
// under row-level security the planner may still answer a containment filter
// from a GIN index (see the package doc, "Indexes under row-level
// security"). Only a superuser may run it. pg_proc is per database: it must
// run in each database, or in template1 before the database is created.
// Running it again changes nothing.
const LeakproofSQL = `ALTER FUNCTION pg_catalog.jsonb_contains(jsonb, jsonb) LEAKPROOF`

// LeakproofQuery returns true when LeakproofSQL has taken effect in the
// current database. Any role may run it.
const LeakproofQuery = `SELECT proleakproof FROM pg_catalog.pg_proc WHERE oid = 'pg_catalog.jsonb_contains(jsonb, jsonb)'::pg_catalog.regprocedure`
