// Package app assembles Central's fx application from the packages that each
// do one job: configuration, logging, the embedded PostgreSQL, pools and
// clients, the keyring, migrations, seeds, services and the HTTP server.
//
// # Boot order
//
//  1. The embedded PostgreSQL starts before fx (when no database is
//     configured), so the pools are built with its real URLs; it stops after
//     fx has stopped, so the pools close before the server goes away.
//  2. fx OnStart, in dependency order: pools ping, the keyring is probed,
//     pending migrations apply, each version's SQL then its Go data
//     migration (migrations/gosteps), under their own timeout and advisory
//     lock; pending seeds run (likewise), the replica watcher starts, and
//     the HTTP server binds last. Migrations → seeds → HTTP is a data
//     dependency (internal/boot): MigrateModule's hook constructor provides
//     boot.Migrated, which the seed hook's constructor needs, and the HTTP
//     registration needs boot.Seeded, so the listing order of the modules
//     cannot change it.
//  3. On SIGINT/SIGTERM fx stops in reverse: readiness turns false and
//     in-flight requests finish, the watcher stops, the pools drain and
//     close; then the embedded PostgreSQL stops.
//
// # Usage
//
//	env, err := app.Prepare(ctx, cfg, logger, version) // starts the embedded server if needed
//	defer env.Close(context.Background())
//	a := fx.New(app.ServeOptions(env))
package app
