// Package production holds the production seeds: base data every production
// database needs.
//
// # Rules
//
// Every seed file starts with "PROD" (PROD_0001_base_data.go): the runner
// refuses a production set with any other file name, at boot and in this
// package's test. Seeds run in file-name order, each in one transaction with
// its ledger row, once per database; an applied seed is immutable (its
// SHA-256 is recorded) and is never deleted from this directory. Production
// seeds should also be safe against data created by hand before them: look
// before you create.
//
//	func basePlans(ctx context.Context, d seed.Deps) error {
//		if _, err := d.Services.Tenants.GetBySlug(ctx, "central"); err == nil {
//			return nil // already there
//		}
//		...
//	}
package production
