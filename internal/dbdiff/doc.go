// Package dbdiff is the one home of the diff command's flow, shared by
// cmd/dbdiff (the fast command of the add-an-entity loop) and its alias
// `app db diff`: the flags, the dev-database fallbacks, the diff of the
// replayed migration directory against the generated ent/migrate tables
// with row-level security from ent/migrate's entity metadata, the hint on
// a refused destructive change, and the optional apply.
//
// It imports ent/migrate and never package ent: ent/migrate imports no
// entity package and no ID type, so after a schema change a command built
// on this package recompiles one small package instead of the whole ent
// client (see internal/entgen's migrateEntities).
package dbdiff
