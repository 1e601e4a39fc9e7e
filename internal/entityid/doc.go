// Package entityid declares the typed rich ID of every Central entity.
//
// Each entity gets its own Go type, so passing a [UserID] where a [TenantID]
// is expected does not compile. The types embed [richid.ID], which stores the
// 16 bytes of a ULID (a PostgreSQL uuid column) and formats as
// "<prefix>-<26 Crockford base32 characters>". The generated ent code uses
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
// Declare a marker kind with its prefix, the ID type embedding
// richid.ID[kind], and the New/Parse/FromUUID trio, following the existing
// entries in entityid.go.
package entityid
