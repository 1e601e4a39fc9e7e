// Package buildinfo carries the running binary's version through fx to the
// places that record it: the migration revisions' operator_version, the
// seed ledger and the Go data-migration ledger.
//
// # Usage
//
//	fx.Supply(buildinfo.Version("1.4.2"))
//	func newThing(v buildinfo.Version) { ... string(v) ... }
package buildinfo
