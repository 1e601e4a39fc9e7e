// Package schemadiff writes the next Atlas migration from the ent schema:
// the `db diff NAME` command.
//
// # How
//
// The migration directory is replayed on a throwaway database of a dev
// server (the embedded internal/pgserver unless a dev URL is configured; the
// role needs CREATEDB), then ent's schema.NewMigrate in replay mode
// (schema.WithMigrationMode(schema.ModeReplay)) diffs it against the ent
// tables, and the plan is written with atlas's DefaultFormatter, named
// <version>_<name>.sql, and atlas.sum is rewritten: the atlas CLI's own
// formats. Scratch databases are dropped afterwards.
//
// # Normal form and CHECK constraints
//
// Both sides are compared as PostgreSQL stores them, as `atlas migrate
// diff` with a dev database does: the directory is replayed and inspected,
// the ent tables are created on the dev database and inspected (ent's
// replay mode), and the diff runs in atlas's normalized mode
// (schema.DiffNormalized), so a CHECK is compared by its
// pg_get_constraintdef text. The same CHECK spelled another way plans
// nothing; an edited CHECK is planned (without normalized mode atlas
// matches CHECKs by name only and misses the edit).
//
// PostgreSQL's printed form is not always its own normal form: a BETWEEN
// inside an AND prints as a nested AND, which PostgreSQL flattens when that
// text is applied. Such a CHECK would be planned again after every apply
// (a perpetual diff, which the atlas CLI reports too). So a non-empty plan
// is verified: the directory plus the new files are replayed on another
// scratch database and diffed again; anything still planned fails the diff
// with an *UnstableError (ErrUnstable) that shows the stored form to write
// in ent/schema instead. Nothing is written.
//
// # Enum types
//
// ent keeps enum columns with a postgres SchemaType typed but never emits
// CREATE TYPE. Compute collects those types from the tables, compares them
// with the enum types the replayed directory created, and plans CREATE TYPE
// for new types and ALTER TYPE ... ADD VALUE for new values with atlas's
// planner. An added value gets its own file, versioned before the rest, since
// PostgreSQL cannot use a value in the transaction that added it. Removing
// or reordering values fails with ErrUnsupported (write that by hand).
//
// # Row-level security
//
// With RowSecurity(ent.Entities()) (what `app db diff`, cmd/dbdiff and the
// drift test pass), row-level security is part of the desired state: every
// tenant-owned entity's table gets ENABLE and FORCE ROW LEVEL SECURITY and
// the PolicyName policy (USING and WITH CHECK on its tenant column against
// app.tenant_id; see internal/tenantctx), and every other table of the
// schema gets none. Atlas does not model policies, so the replayed scratch
// database is inspected (pg_class.relrowsecurity, relforcerowsecurity,
// pg_policies) and plain SQL is planned after ent's changes: missing flags
// and policies are added, a policy whose normalized text differs (compared
// with the desired policy created and rolled back on the same database) is
// dropped and recreated, extra policies are dropped, and an entity that
// stops being tenant-owned loses its policy and flags. The file is an
// ordinary migration; atlas.sum is rewritten as for any other.
//
// # Lint
//
// Destructive changes are refused with a *DestructiveError (ErrDestructive)
// unless AllowDestructive(true) is given: atlas's sqlcheck destructive
// analyzer (dropped schema DS101, table DS102, column DS103) plus dropped
// indexes (CD-IDX) and column type changes that do not widen (CT-NARROW).
// Nothing is written when a diff is refused.
//
// # Versions
//
// A new file is versioned with the clock (UTC, 20060102150405), or one
// second after the latest existing version when that is not earlier, so two
// diffs within one second get distinct, ordered versions; files are created
// with O_EXCL and never overwritten.
//
// # Usage
//
//	res, err := schemadiff.Diff(ctx, devURL, "migrations", entmigrate.Tables, "add_user_email",
//		schemadiff.AllowDestructive(*allowDestructive))
//	fmt.Println(res) // "wrote migrations/2026..._add_user_email.sql and updated atlas.sum" or "no changes: ..."
//
// Compute does the same without writing, on any fs.FS (e.g. migrations.FS):
// the drift test fails when its plan is not empty.
package schemadiff
