// Package development holds the development (and test) seeds: demo data a
// developer gets on a fresh database.
//
// # Writing a seed
//
// One file per seed, named NNNN_what.go (seeds run in file-name order),
// defining one function that takes a context and seed.Deps. Add it to the
// table in seeds.go under the file's name without ".go". Use the services
// with the ctx the function receives: they join the seed's transaction, so
// the seed's work and its ledger row commit together, or not at all.
//
//	func moreUsers(ctx context.Context, d seed.Deps) error {
//		_, err := d.Services.Users.TxCreateUser(ctx, tenantID, service.CreateUserInput{Email: "x@example.com"})
//		return err
//	}
//
// # Never edit an applied seed
//
// The runner records each seed's SHA-256; an applied seed whose file changed
// is refused at boot (SEED_CHANGED=warn relaxes this in development only).
// Fix data with a new seed.
package development
