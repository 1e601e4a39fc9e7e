package migrate_test

import (
	"bytes"
	"context"
	"errors"
	"hash/fnv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/migrate"
	"github.com/central/central/internal/pglock"
)

// These tests guard the edges the mutation tester (internal/tools/mutate)
// found unguarded; each names the deliberate bug it catches.

// TestEdgeOptionsRefuseBadValues: options refuse a nil logger, an empty
// revisions schema or baseline, and Up reports it. Bug caught: an option's
// error swallowed (the option then silently does nothing).
func TestEdgeOptionsRefuseBadValues(t *testing.T) {
	db, _ := newDB(t)
	dir := loadFS(t, "testdata/basic")
	tests := []struct {
		name string
		opt  migrate.Option
		want string
	}{
		{"nil logger", migrate.WithLogger(nil), "WithLogger: nil logger"},
		{"empty schema", migrate.WithRevisionsSchema(""), "WithRevisionsSchema: empty schema"},
		{"empty baseline", migrate.WithBaseline(""), "WithBaseline: empty version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := migrate.Up(context.Background(), db, dir, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Up = %+v, %v; want an error containing %q", res, err, tt.want)
			}
		})
	}
	if n := len(queryStrings(t, db, `SELECT table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`)); n != 0 {
		t.Errorf("refused options still created %d tables", n)
	}
}

// TestEdgeRevisionsSchemaAndOperator: the revisions go to the schema
// WithRevisionsSchema names, stamped with WithOperatorVersion's value. Bugs
// caught: either option's value dropped.
func TestEdgeRevisionsSchemaAndOperator(t *testing.T) {
	db, _ := newDB(t)
	if _, err := migrate.Up(context.Background(), db, loadFS(t, "testdata/basic"),
		migrate.WithRevisionsSchema("custom_revisions"), migrate.WithOperatorVersion("edge-test/1")); err != nil {
		t.Fatal(err)
	}
	got := queryStrings(t, db, `SELECT DISTINCT operator_version FROM custom_revisions.atlas_schema_revisions WHERE version <> '.atlas_cli_state'`)
	if strings.Join(got, ",") != "edge-test/1" {
		t.Errorf("operator versions in custom_revisions: %v, want [edge-test/1]", got)
	}
	if n := queryStrings(t, db, `SELECT count(*)::text FROM information_schema.schemata WHERE schema_name = 'atlas_schema_revisions'`); n[0] != "0" {
		t.Error("the default revisions schema was created too")
	}
}

// TestEdgeProgressAndLogsOnFailure: a failing file is reported on the
// progress writer and logged at error level, after the "migrating to" line.
// Bugs caught: any of those lines dropped.
func TestEdgeProgressAndLogsOnFailure(t *testing.T) {
	db, _ := newDB(t)
	base := firstN(t, loadFS(t, "testdata/basic"), 1)
	bad := "CREATE TABLE ok (id int);\nINSERT INTO missing VALUES (1);\n"
	dir := rehash(t, with(base, "20260101000002_bad.sql", &bad))
	core, logs := observer.New(zapcore.DebugLevel)
	var out bytes.Buffer
	_, err := migrate.Up(context.Background(), db, dir, migrate.WithProgress(&out), migrate.WithLogger(zap.New(core)))
	var ae *migrate.ApplyError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want *ApplyError", err)
	}
	for _, want := range []string{"migrating to 20260101000002: 2 file(s) pending", "20260101000002_bad.sql: FAILED"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, out.String())
		}
	}
	if logs.FilterMessage("migration failed").FilterField(zap.String("file", "20260101000002_bad.sql")).Len() != 1 {
		t.Errorf("no error log for the failed file: %v", logs.All())
	}
	if logs.FilterMessage("migration lock acquired").Len() != 1 {
		t.Errorf("no debug log of the lock wait: %v", logs.All())
	}
}

// TestEdgeLockWaitIsReported: Up that waited for another instance's lock
// says how long. Bug caught: Result.LockWait never set.
func TestEdgeLockWaitIsReported(t *testing.T) {
	db, _ := newDB(t)
	h := fnv.New32()
	h.Write([]byte("atlas_migrate_execute"))
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	held, err := pglock.Acquire(context.Background(), conn, int64(h.Sum32()), 0)
	if err != nil {
		t.Fatal(err)
	}
	// The holder lets go 300ms after Up is seen waiting (a fixed sleep from
	// the start flaked under load: Up reached the lock late and waited less).
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := dbtest.AwaitAdvisoryWaiter(ctx, db); err != nil {
			t.Error(err)
		}
		time.Sleep(300 * time.Millisecond)
		_ = held.Release()
	}()
	res, err := migrate.Up(context.Background(), db, loadFS(t, "testdata/basic"), migrate.WithLockTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if res.LockWait < 300*time.Millisecond {
		t.Errorf("LockWait = %s after waiting at least 300ms for the lock", res.LockWait)
	}
}

// TestEdgeUpDetachedKeepsItsOwnTimeout: UpDetached bounds the migration by
// its own timeout. Bug caught: the timeout not applied (a hung migration
// would hold boot for ever).
func TestEdgeUpDetachedKeepsItsOwnTimeout(t *testing.T) {
	db, _ := newDB(t)
	m, err := migrate.New(db, loadFS(t, "testdata/basic"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.UpDetached(context.Background(), time.Nanosecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("UpDetached with a 1ns timeout: %v, want context.DeadlineExceeded", err)
	}
}

// TestEdgeUpRefusesNilDB: Up reports New's refusal. Bug caught: the error
// swallowed (a nil *Migrator used).
func TestEdgeUpRefusesNilDB(t *testing.T) {
	if _, err := migrate.Up(context.Background(), nil, loadFS(t, "testdata/basic")); err == nil || !strings.Contains(err.Error(), "nil *sql.DB") {
		t.Fatalf("Up(nil db) = %v", err)
	}
}
