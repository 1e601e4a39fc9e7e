package seedengine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/seedengine"
)

// BenchmarkBootCheck is what every boot pays when nothing is pending: read
// the stamp and the ledger (50 applied seeds), compare hashes, no lock.
// Target: ≤ 5 ms.
func BenchmarkBootCheck(b *testing.B) {
	ctx := context.Background()
	db := newTxDB(b, newTestDB(b))
	names := make([]string, 50)
	for i := range names {
		names[i] = fmt.Sprintf("%04d_seed", i+1)
	}
	r := newRunner(b, db, config.Development, set(config.Development, "", names, nil))
	if rep, err := r.Run(ctx, seedengine.RunOptions{}); err != nil || len(rep.Applied) != 50 {
		b.Fatalf("setup: %+v, %v", rep, err)
	}
	for b.Loop() {
		rep, err := r.Run(ctx, seedengine.RunOptions{})
		if err != nil || rep.Locked {
			b.Fatalf("boot check: %+v, %v", rep, err)
		}
	}
}

// BenchmarkCopyFromUsers is the plain COPY path: one seed COPYing rows
// users into the users table (three indexes, two CHECKs, a foreign key
// checked by a trigger per row) inside its transaction, committed with its
// ledger row. Compare BenchmarkCopyFromUsersAppDB, the bulk path with
// RevalidateForeignKeys on the app's *db.DB, which holds the ≥ 200k rows/s
// target (with fsync off: see its comment for durable figures).
func BenchmarkCopyFromUsers(b *testing.B) {
	const rows = 100_000
	ctx := context.Background()
	db := newTxDB(b, newTestDB(b))
	i := 0
	for b.Loop() {
		i++
		name := fmt.Sprintf("%04d_bulk", i)
		s := set(config.Development, "", []string{name}, map[string]seedengine.Func[deps]{name: bulkUsers(fmt.Sprintf("bulk-%d", i), rows, false)})
		if _, err := newRunner(b, db, config.Development, s).Run(ctx, seedengine.RunOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows*i)/b.Elapsed().Seconds(), "rows/s")
}
