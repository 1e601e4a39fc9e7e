package db_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// pgConfig describes a dbtest database the way config.Load would.
func pgConfig(tdb *dbtest.DB, replicas ...string) config.Postgres {
	pg := config.Postgres{
		ReadWrite:          config.Conn{URL: config.Secret(tdb.URL), PoolSize: 4, AppName: config.DefaultReadWriteAppName},
		ReadOnly:           config.Conn{URL: config.Secret(tdb.ReadOnlyURL), PoolSize: 4, AppName: config.DefaultReadOnlyAppName},
		ReplicaMaxLag:      config.DefaultReplicaMaxLag,
		SlowQueryThreshold: config.DefaultSlowQueryThreshold,
	}
	for _, r := range replicas {
		pg.Replicas = append(pg.Replicas, config.Secret(r))
	}
	return pg
}

// logs is where a test's DB logs go: to the test log and to an observer.
type logs struct{ *observer.ObservedLogs }

// open returns a started DB on a fresh test database, stopped at cleanup.
func open(t *testing.T, opts ...db.Option) (*db.DB, *dbtest.DB, logs) {
	t.Helper()
	tdb := dbtest.New(t)
	d, l := openOn(t, pgConfig(tdb), opts...)
	return d, tdb, l
}

func openOn(t *testing.T, pg config.Postgres, opts ...db.Option) (*db.DB, logs) {
	t.Helper()
	core, obs := observer.New(zapcore.DebugLevel)
	logger := zap.New(zapcore.NewTee(zaptest.NewLogger(t, zaptest.Level(zapcore.InfoLevel)).Core(), core))
	d, err := db.Open(ctxT(t), pg, logger, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Stop(context.Background()); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return d, logs{obs}
}

// exec runs statements through the read-write pool (outside ent).
func exec(t *testing.T, d *db.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := d.Pools().ReadWrite.ExecContext(ctxT(t), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func count(t *testing.T, d *db.DB, query string) int {
	t.Helper()
	var n int
	if err := d.Pools().ReadWrite.QueryRowContext(ctxT(t), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// migrated returns a started DB on a fresh database with the app's schema.
func migrated(t *testing.T, opts ...db.Option) (*db.DB, *dbtest.DB, logs) {
	t.Helper()
	tdb := dbtest.New(t) // migrated with the project's schema by default
	d, l := openOn(t, pgConfig(tdb), opts...)
	return d, tdb, l
}
