// Package seed binds the generic seed engine (internal/seedengine) to this
// app: the dependencies its seeds receive (Deps: the services and a
// logger), the adapter to the app's *db.DB (FromDB), the choice of set per
// APP_ENV (SetFor), and the fx modules that build the runner and run the
// pending seeds at boot.
//
// The seed files themselves live in internal/seed/development and
// internal/seed/production; each is one Go file with one Func, listed in
// its package's Seeds() table. A seed file imports this package for Deps,
// Progress and CopyFrom only, so the file (whose SHA-256 guards it once
// applied) does not change when the engine does.
//
// # Boot under fx
//
// Module provides *AppRunner and appends an OnStart hook running the pending
// seeds with RunDetached (bounded by SEED_TIMEOUT), unless SKIP_SEEDS. The
// hook's constructor needs boot.Migrated, which only the migration stage
// provides, so seeds run after migrations whatever the order of the modules;
// it provides boot.Seeded, which the HTTP server waits for.
//
//	fx.New(config..., db.Module, service.Module, app.MigrateModule,
//		development.Module, production.Module, seed.Module, fx.StartTimeout(...))
package seed
