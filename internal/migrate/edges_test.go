package migrate_test

import (
	"context"
	"errors"
	"hash/fnv"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	atlas "ariga.io/atlas/sql/migrate"

	"github.com/central/central/internal/migrate"
	"github.com/central/central/internal/pglock"
)

// These tests guard the edges the mutation tester (internal/tools/mutate)
// found unguarded; each names the deliberate bug it catches.

// failFS is a directory one of whose files cannot be read.
type failFS struct {
	fstest.MapFS
	fail string
}

var errUnreadable = errors.New("unreadable")

func (f failFS) Open(name string) (fs.File, error) {
	if name == f.fail {
		return nil, errUnreadable
	}
	return f.MapFS.Open(name)
}

func (f failFS) ReadFile(name string) ([]byte, error) {
	if name == f.fail {
		return nil, errUnreadable
	}
	return f.MapFS.ReadFile(name)
}

// TestLoadDirRefuses: a file without a version, or one that cannot be
// read (a migration or atlas.sum), stops LoadDir with an error naming it.
// Bug caught: any of those errors swallowed (a directory loaded without
// the file, migrations silently skipped).
func TestLoadDirRefuses(t *testing.T) {
	basic := loadFS(t, "testdata/basic")
	first := ""
	for n := range basic {
		if strings.HasSuffix(n, ".sql") && (first == "" || n < first) {
			first = n
		}
	}
	noVersion := fstest.MapFS{}
	for n, f := range basic {
		noVersion[n] = f
	}
	noVersion["_unversioned.sql"] = &fstest.MapFile{Data: []byte("SELECT 1;")}
	tests := []struct {
		name string
		fsys fs.FS
		want string
	}{
		{"file without a version", noVersion, "_unversioned.sql has no version"},
		{"unreadable migration", failFS{basic, first}, "read migration " + first},
		{"unreadable atlas.sum", failFS{basic, atlas.HashFileName}, "read " + atlas.HashFileName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, err := migrate.LoadDir(tt.fsys)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadDir = %v, %v; want an error containing %q", dir, err, tt.want)
			}
		})
	}
}

// TestDirErrorUnwraps: a *DirError is ErrDirTampered and also carries
// atlas's own error. Bug caught: Unwrap returning nil.
func TestDirErrorUnwraps(t *testing.T) {
	m := loadFS(t, "testdata/basic")
	delete(m, atlas.HashFileName)
	_, err := migrate.LoadDir(m)
	if !errors.Is(err, migrate.ErrDirTampered) || !errors.Is(err, atlas.ErrChecksumNotFound) {
		t.Fatalf("LoadDir without atlas.sum: %v; want ErrDirTampered wrapping atlas's ErrChecksumNotFound", err)
	}
}

// TestApplyErrorAbbreviates: the failing statement is quoted with its
// whitespace collapsed and cut after 200 bytes. Bugs caught: the
// whitespace kept (multi-line log entries), the cut one byte early.
func TestApplyErrorAbbreviates(t *testing.T) {
	boom := errors.New("boom")
	exact := strings.Repeat("x", 200)
	tests := []struct{ stmt, want string }{
		{"SELECT\n\t1,\n  2", `"SELECT 1, 2"`},
		{exact, `"` + exact + `"`},
		{exact + "y", `"` + exact + `..."`},
	}
	for _, tt := range tests {
		msg := (&migrate.ApplyError{File: "f.sql", Line: 3, Statement: tt.stmt, Err: boom}).Error()
		if !strings.Contains(msg, "statement "+tt.want+": boom") {
			t.Errorf("Error() = %s\nwant it to quote %s", msg, tt.want)
		}
	}
}

// TestUpGivesUpWhenCtxEndsWaitingForTheLock: another instance holds the
// migration lock and ctx ends before the lock timeout: Up fails with the
// context's error, not ErrLockTimeout, and applies nothing. Bug caught:
// the acquire error swallowed (Up running without the lock).
func TestUpGivesUpWhenCtxEndsWaitingForTheLock(t *testing.T) {
	db, _ := newDB(t)
	h := fnv.New32()
	h.Write([]byte("atlas_migrate_execute")) // the atlas CLI's lock
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	held, err := pglock.Acquire(context.Background(), conn, int64(h.Sum32()), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	res, err := migrate.Up(ctx, db, loadFS(t, "testdata/basic"), migrate.WithLockTimeout(time.Minute))
	if err == nil || errors.Is(err, migrate.ErrLockTimeout) {
		t.Fatalf("Up while the lock is held and ctx ends: %+v, %v; want a non-timeout error", res, err)
	}
	if !strings.Contains(err.Error(), "migration lock") {
		t.Errorf("err = %v does not say it was waiting for the migration lock", err)
	}
}
