// Package jsonb declares the typed documents Central stores in PostgreSQL
// JSONB columns. The ent schema refers to these types, so the generated code
// reads and writes them as Go structs rather than raw JSON.
//
// Some documents are sensitive ([IdPUserInfo], [OIDCConnectorState]): they are
// never exposed in public views, and at rest they are envelope-encrypted (see
// internal/sensitive).
//
// [UserProfile] is the opposite: non-sensitive and queryable, under a GIN
// index, with Validate bounding what a client may store or filter on.
//
// # Usage
//
//	info := jsonb.IdPUserInfo{Subject: "00u1", Issuer: "https://idp.example.com"}
package jsonb
