// Package entityid declares the typed rich ID of every Central entity.
//
// Each entity gets its own Go type, so passing a [UserID] where a [TenantID]
// is expected does not compile. Each type is a [16]byte (the ULID, stored in a
// PostgreSQL uuid column) whose methods delegate to [richid.ID], formatting it
// as "<prefix>-<26 Crockford base32 characters>". They are [16]byte rather
// than structs embedding richid.ID because ent's reflection-based scanning
// (Query().IDs, Select().Scan) treats only byte arrays as scalar UUIDs. The generated ent code uses
// these types for primary and foreign keys (see ent/schema), so the type
// safety holds end to end: in the schema, the generated builders, the
// services and the HTTP API.
//
// # Prefixes
//
// Prefixes are part of the public API: they appear in URLs and logs and must
// never change once shipped. The ent code generator (internal/entgen) refuses
// two schemas that share a prefix and prefixes outside [a-z][a-z0-9_]*.
//
// # Usage
//
//	id := entityid.NewTenantID()           // time-ordered, monotonic in the process
//	s := id.String()                       // "tenant-01H2XVNZ7C9NXWK3TMCRD9QWMN"
//	back, err := entityid.ParseTenantID(s) // errors.Is(err, richid.ErrInvalid) on bad input
//	u := back.UUID()                       // the 16 bytes stored in PostgreSQL
//
// # Adding an entity
//
// Add a line to the entities table in gen.go and run
// `go generate ./internal/entityid`; then use the new type in ent/schema.
package entityid
