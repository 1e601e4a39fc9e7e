package migrate_test

import (
	"context"
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/migrate"
)

// twenty builds a 20-file directory: tables, an index, a data change each.
func twenty(b *testing.B) fstest.MapFS {
	m := fstest.MapFS{}
	for i := 1; i <= 20; i++ {
		sql := fmt.Sprintf(`CREATE TABLE "t%02d" ("id" bigint NOT NULL, "name" text NOT NULL, "created_at" timestamptz NOT NULL DEFAULT now(), PRIMARY KEY ("id"));
CREATE INDEX "t%02d_name" ON "t%02d" ("name");
INSERT INTO "t%02d" ("id", "name") SELECT g, 'n' || g FROM generate_series(1, 100) g;
`, i, i, i, i)
		m[fmt.Sprintf("202601010000%02d_t%02d.sql", i, i)] = &fstest.MapFile{Data: []byte(sql)}
	}
	return rehash(b, m)
}

// BenchmarkUpToDate is the boot-time check when all 20 files are applied.
func BenchmarkUpToDate(b *testing.B) {
	ctx := context.Background()
	db, _ := newDB(b)
	dir := twenty(b)
	if _, err := migrate.Up(ctx, db, dir); err != nil {
		b.Fatal(err)
	}
	m, err := migrate.New(db, dir)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := m.Up(ctx)
		if err != nil || res.Locked {
			b.Fatalf("%+v %v", res, err)
		}
	}
}

// BenchmarkColdApply20 applies 20 files to an empty database.
func BenchmarkColdApply20(b *testing.B) {
	ctx := context.Background()
	dir := twenty(b)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		d := dbtest.New(b, dbtest.Empty())
		db := d.OpenDB(b)
		// Flush the checkpoint CREATE DATABASE may have started, so that it
		// does not compete with the apply being measured.
		if _, err := openDB(b, d.AdminURL).Exec("CHECKPOINT"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := migrate.Up(ctx, db, dir)
		if err != nil || len(res.Applied) != 20 {
			b.Fatalf("%v %v", res, err)
		}
	}
}
