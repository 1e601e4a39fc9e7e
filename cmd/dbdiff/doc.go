// Command dbdiff writes the next migration from ent/schema into the Atlas
// directory, and optionally applies it to a development database: the
// fast step of the add-an-entity loop (see the README).
//
//	go run ./cmd/dbdiff [--dir migrations] [--dev-url URL] [--allow-destructive] [--apply URL] NAME
//
// It is `app db diff` (both run internal/dbdiff, the one home of the flow)
// but links only the generated ent/migrate package (tables and entity
// metadata), the diff and the embedded PostgreSQL starter, not the server
// and not package ent: after a schema change `go run ./cmd/dbdiff`
// recompiles one small package and links a small binary instead of the
// whole ent client and application.
//
// The diff replays the directory on a throwaway database: --dev-url (or
// DEV_DATABASE_URL; the role needs CREATEDB), else a throwaway embedded
// PostgreSQL started for the run. With --apply (or DBDIFF_APPLY_URL) the
// pending migrations are then applied to that database with the same
// locked, checksummed apply the server runs at boot.
//
// Exit codes: 0 success, 1 failure, 2 usage error.
package main
