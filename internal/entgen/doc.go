// Package entgen is Central's code generator around ent: everything
// `go generate ./ent` does. ent/schema is the single source of truth; each
// entity declares, in its own file and nowhere else:
//
//   - its rich-ID prefix and ID type: mixin.NewID("project", entityid.NewProjectID)
//   - its tenancy: mixin.TenantOwned{} (adds tenant_id), mixin.TenantOwnedVia{Edge: "user"}
//     (owned through a parent), or nothing (global)
//   - its sealed (envelope-encrypted) JSONB fields: a field whose Go type embeds
//     sensitive.Sealed[T] (e.g. jsonb.SealedOIDCConnectorState), marked Sensitive()
//
// # What it generates from those declarations
//
//   - internal/entityid/entityid_gen.go: one typed ID per entity (New, Parse,
//     String, Scan/Value, pgx, JSON), with the declared prefix.
//   - ent/ (ent's own code) plus: ent.ReadOnlyClient (reads only; writing
//     through it does not compile, and its driver refuses Exec and Tx);
//     ent/richid.go (prefix ↔ entity); ent.Entities() and ent.SealedColumns()
//     (ent/entmeta.go, types in internal/entmeta); and the tenant scopes
//     (ent/tenantscope.go): client.ForTenant(tid).Project.Query()/Get/Create/
//     Update/UpdateOneID/Delete/DeleteOneID, filtered by tenant, with a guard
//     hook for what ent's builders leave open, and the read-only
//     counterpart ro.ForTenant(tid).
//
// # Why the ID types are generated first, from the syntax tree
//
// The schema refers to entityid.NewProjectID and entityid.TenantID, so it
// cannot compile — and ent cannot load it — before the ID types exist; a
// second generator run first (the old `go generate ./internal/entityid`
// with its own table) made `go generate ./...` fail on every new entity,
// depending on package order. [Run] therefore parses ent/schema with
// go/parser, without type-checking ([ScanIDs]): the declaration is a call
// with a string literal and a constructor name, which the syntax tree holds
// completely. It renders the ID file and hands it to ent's schema loader
// through a go build -overlay, so nothing is written yet. The alternatives
// were worse: deriving the prefix from the type name makes a rename change
// a public prefix; a separate ID list is the second list this package
// removes; generic ID types (richid.ID[K]) do not scan through ent's
// reflection (see internal/entityid).
//
// # Why generation is atomic
//
// ent's entc.Generate writes into the target directory and, while loading
// the schema, rewrites ent/runtime.go behind "// +build tools", undoing it
// only on some paths. A failed run could leave a tree that compiles with the
// runtime init compiled out (every Create then panics). [Run] points ent at
// a staging directory inside ent/ (a dot-directory, ignored by ./...), and
// only when everything succeeded commits: moves each changed file, the ID
// file included, into place with a rename (unchanged files are left alone,
// so the build cache stays warm) and deletes the generated files the new
// output lacks, all or nothing (a failed step undoes the ones before it;
// TestCommitAllOrNothing). A failure leaves the tree byte-for-byte as it
// was; internal/entgen/loop tests that, and
// TestNoGeneratedFileBehindBuildConstraint checks the committed tree.
//
// # Why it renders ent's templates itself
//
// ent's generator formats every file with goimports, which runs `go env`
// for each file and resolves imports through the module graph: at 50
// entities that was about 13 of go generate's 17 CPU seconds. [Run]
// replaces that last step (the hook in fastgen.go): ent's own template set
// (reached with go:linkname; the ent version is pinned), the same files,
// and a format from the syntax tree that removes unused imports and adds
// the few the templates leave to goimports, falling back to goimports for
// a file it cannot settle. TestFastGenerateMatchesEnt requires its output
// to equal ent's byte for byte.
//
// # Why part of the read path is generated
//
// ent's generic sqlAll quoted and qualified every column through its SQL
// builder on every query, and allocated a scan target per column per row:
// with the driver at raw-pgx speed (internal/pgxdriver), those were most of
// what separated a list of 100 users from pgx. template/fastquery.tmpl
// fills two of ent's extension points of sqlAll (see fastread.go): for the
// common shape (every column, no traversal, no Select, PostgreSQL) sqlgraph
// gets the select list quoted at generation time, which ent's builder passes
// through unchanged, so the statement is byte-identical
// (TestSelectListMatchesEntBuilder checks every entity); and the scan
// targets are made once per query and zeroed before every row, except those
// whose value assignValues keeps (TestReusable; TestEntReadsEveryRowApart in
// internal/db reads alternating NULLs through it). Everything else, hooks,
// interceptors, eager loading and edges included, is ent's code unchanged.
//
// # Why single creates skip sqlgraph
//
// Of a single create (Create().Save), ent spent about two thirds of its CPU
// and 46 of its 64 allocations building a sqlgraph.CreateSpec and turning it
// into SQL with its builder, for a statement that depends only on which
// columns are set; on a round trip to a local PostgreSQL that was the whole
// gap to hand-written pgx (internal/db BenchmarkCompare insert).
// template/fastcreate.tmpl gives each create builder a fastCreate that
// sends the statement CreateNode would, with the text worked out at
// generation time by ent's own builder ([FastCreate]), after the same
// defaults, hooks and validators. Creates it does not cover keep ent's
// path: an upsert, edges stored in other tables, an ID the database makes,
// a dialect other than PostgreSQL, a client made ent.WithoutFastPaths.
// ent has no extension point in sqlSave, so the template overrides ent's
// "dialect/sql/create" with a copy that adds one call;
// TestFastCreateTemplateIsEnts holds the copy to ent's template and
// TestFastCreateMatchesEnt the statements to ent's, for every entity.
//
// # What it checks
//
// Generation fails, naming the schemas involved, when a prefix is
// malformed or shared, when mixin.NewID's prefix and constructor disagree,
// when a schema has a uuid key but no rich ID, when a foreign-key field's
// Go type is not the ID type of the entity its edge points to, when an
// entity has a tenant_id but no tenancy declaration (it would silently get
// no scoping), when TenantOwnedVia names an edge that is not a unique,
// required edge to a TenantOwned entity, and when a sealed field is not
// Sensitive.
//
// # Usage
//
// ent/entc.go (behind //go:build ignore) calls [Run]; see its Options.
package entgen
