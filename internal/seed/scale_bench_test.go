package seed_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/seed"
)

// BenchmarkBootCheckScale is BenchmarkBootCheck with 10, 100 and 1,000
// applied seeds: a boot with nothing pending reads the stamp and the ledger
// and compares hashes, without the lock. Goal ≤ 20 ms at 1,000 together with
// 1,000 migrations (internal/migrate's BenchmarkBootCheckScale).
//
// Run: go test ./internal/seed -run '^$' -bench BootCheckScale -benchtime 200x
func BenchmarkBootCheckScale(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ctx := context.Background()
			db := newTxDB(b, newTestDB(b))
			names := make([]string, n)
			for i := range names {
				names[i] = fmt.Sprintf("%04d_seed", i+1)
			}
			r := newRunner(b, db, config.Development, set(config.Development, "", names, nil))
			if rep, err := r.Run(ctx, seed.RunOptions{}); err != nil || len(rep.Applied) != n {
				b.Fatalf("setup: %+v, %v", rep, err)
			}
			for b.Loop() {
				rep, err := r.Run(ctx, seed.RunOptions{})
				if err != nil || rep.Locked || len(rep.Applied) != 0 {
					b.Fatalf("boot check: %+v, %v", rep, err)
				}
			}
		})
	}
}
