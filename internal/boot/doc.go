// Package boot names the stages of the app's start as values, so that fx
// orders them by data dependency rather than by the order modules are
// listed in.
//
// fx runs OnStart hooks in the order they were appended, and a constructor
// runs after the constructors of its parameters. So a stage whose
// constructor appends its hook and returns a token, and whose next stage's
// constructor takes that token as a parameter, always has its hook appended
// (and run) first, whatever order fx.Options lists the modules in:
//
//	migrations (SQL files and Go data migrations, in version order) → boot.Migrated
//	seeds (needs boot.Migrated)                                     → boot.Seeded
//	HTTP server (needs boot.Seeded)
//
// A module needing a token whose provider is absent fails fx.New with a
// missing-dependency error instead of running out of order.
package boot
