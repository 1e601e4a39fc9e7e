// Command app is Central's single binary: the server and its database tools.
//
//	app [serve]                       start (embedded PostgreSQL if none is configured), migrate, seed, serve HTTP
//	app db migrate                    apply pending migrations
//	app db status                     applied and pending migrations
//	app db diff NAME                  write the next migration from ent/schema
//	app db seed [--dry-run]           run pending seeds
//	app db seed status                the seed ledger
//	app db rekey [--batch-size N]     re-encrypt sensitive columns under the current key
//	app version                       print the version
//
// Configuration comes from the environment (see internal/config). Exit
// codes: 0 success, 1 failure, 2 usage error, 3 invalid configuration.
package main
