package migrate_test

import (
	"context"
	"fmt"
	"testing"
	"testing/fstest"
	"time"

	"github.com/central/central/internal/migrate"
)

// nFiles builds an n-file directory, one small table and index per file, with
// its atlas.sum.
func nFiles(b *testing.B, n int) fstest.MapFS {
	m := fstest.MapFS{}
	for i := 1; i <= n; i++ {
		sql := fmt.Sprintf("CREATE TABLE \"s%04d\" (\"id\" bigint NOT NULL, \"name\" text NOT NULL, PRIMARY KEY (\"id\"));\nCREATE INDEX \"s%04d_name\" ON \"s%04d\" (\"name\");\n", i, i, i)
		m[fmt.Sprintf("2026%010d_s%04d.sql", i, i)] = &fstest.MapFile{Data: []byte(sql)}
	}
	return rehash(b, m)
}

// BenchmarkBootCheckScale is the check every boot pays when nothing is
// pending, with 10, 100 and 1,000 applied migrations: read and verify the
// directory against atlas.sum (hashed once), read the revisions, compare.
// Goal ≤ 20 ms at 1,000 (with 1,000 seeds: internal/seed's
// BenchmarkBootCheckScale). The cold apply of the same files runs once first
// and is reported as apply-ms and apply-ms/file: flat per file since the
// directory is hashed once per run, not once per file.
//
// Run: go test ./internal/migrate -run '^$' -bench BootCheckScale -benchtime 200x
func BenchmarkBootCheckScale(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ctx := context.Background()
			db, _ := newDB(b)
			dir := nFiles(b, n)
			start := time.Now()
			res, err := migrate.Up(ctx, db, dir)
			if err != nil || len(res.Applied) != n {
				b.Fatalf("apply: %v, %v", res, err)
			}
			apply := time.Since(start)
			m, err := migrate.New(db, dir)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				res, err := m.Up(ctx)
				if err != nil || res.Locked || len(res.Applied) != 0 {
					b.Fatalf("%+v %v", res, err)
				}
			}
			b.ReportMetric(float64(apply.Milliseconds()), "apply-ms")
			b.ReportMetric(float64(apply.Microseconds())/1000/float64(n), "apply-ms/file")
		})
	}
}
