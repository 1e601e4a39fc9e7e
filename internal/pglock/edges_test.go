package pglock_test

import (
	"context"
	"database/sql"
	"errors"
	"hash/fnv"
	"strings"
	"testing"
	"time"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/pglock"
)

// These tests guard the edges the mutation tester (internal/tools/mutate)
// found unguarded; each names the deliberate bug it catches.

// TestKeyIsFNV1aOfTheName: Key is the documented 64-bit FNV-1a of the name,
// so two names give two keys. Bug caught: the name not hashed (every key
// the same), or another hash.
func TestKeyIsFNV1aOfTheName(t *testing.T) {
	h := fnv.New64a()
	h.Write([]byte("central_seed_run"))
	if got, want := pglock.Key("central_seed_run"), int64(h.Sum64()); got != want {
		t.Errorf("Key = %d, want FNV-1a %d", got, want)
	}
	if pglock.Key("a") == pglock.Key("b") {
		t.Error("two names share a key")
	}
}

func sessionPID(t *testing.T, conn *sql.Conn) int {
	t.Helper()
	var pid int
	if err := conn.QueryRowContext(context.Background(), "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	return pid
}

// holdLock takes key on a session of its own, released at cleanup.
func holdLock(t *testing.T, db *sql.DB, key int64) *pglock.Lock {
	t.Helper()
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l, err := pglock.Acquire(context.Background(), c, key, 0)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestZeroTimeoutWaitsForTheHolder: timeout 0 means "as long as ctx
// allows", not "give up at once". Bug caught: timeout <= 0 written < 0
// (zero then becomes a 1 ms lock_timeout).
func TestZeroTimeoutWaitsForTheHolder(t *testing.T) {
	db := dbtest.New(t, dbtest.Empty()).OpenDB(t)
	key := pglock.Key("pglock-zero-timeout")
	held := holdLock(t, db, key)
	go func() {
		time.Sleep(300 * time.Millisecond)
		_ = held.Release()
	}()
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l, err := pglock.Acquire(context.Background(), c, key, 0)
	if err != nil {
		t.Fatalf("Acquire with timeout 0 while held for 300ms: %v, want the lock once released", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
}

// TestFailedAcquireDiscardsTheSession: whatever makes Acquire fail (its
// timeout, or ctx ending while it waits, with or without a timeout), the
// error says so, is ErrTimeout only for the timeout, and the session is
// closed and not handed back to the pool.
//
// Bugs caught: an error swallowed (a *Lock returned without the lock), a
// context error reported as ErrTimeout (or a panic on a non-PostgreSQL
// error), the session kept open, or returned to the pool for the next
// caller.
func TestFailedAcquireDiscardsTheSession(t *testing.T) {
	tests := []struct {
		name        string
		timeout     time.Duration // Acquire's
		ctxTimeout  time.Duration
		wantTimeout bool
	}{
		{"lock timeout", 200 * time.Millisecond, time.Minute, true},
		{"ctx ends, no lock timeout", 0, 300 * time.Millisecond, false},
		{"ctx ends before the lock timeout", 30 * time.Second, 300 * time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := dbtest.New(t, dbtest.Empty()).OpenDB(t)
			db.SetMaxOpenConns(2) // the holder and one more: a pooled session would come back
			key := pglock.Key("pglock-discard")
			held := holdLock(t, db, key)
			c, err := db.Conn(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			pid := sessionPID(t, c)
			ctx, cancel := context.WithTimeout(context.Background(), tt.ctxTimeout)
			defer cancel()
			l, err := pglock.Acquire(ctx, c, key, tt.timeout)
			if err == nil {
				_ = l.Release()
				t.Fatal("Acquire succeeded while another session holds the lock")
			}
			if errors.Is(err, pglock.ErrTimeout) != tt.wantTimeout {
				t.Errorf("err = %v; ErrTimeout %v, want %v", err, errors.Is(err, pglock.ErrTimeout), tt.wantTimeout)
			}
			if !strings.Contains(err.Error(), "advisory lock") {
				t.Errorf("err = %v does not say it is about the advisory lock", err)
			}
			if err := c.PingContext(context.Background()); !errors.Is(err, sql.ErrConnDone) {
				t.Errorf("the failed session is still open (Ping: %v)", err)
			}
			next, err := db.Conn(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer next.Close()
			if sessionPID(t, next) == pid {
				t.Error("the failed session went back to the pool")
			}
			if err := held.Release(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestReleaseOfALockNoLongerHeld: if the session lost the lock (here
// unlocked behind Release's back), Release says so and closes the session
// instead of pooling it. Bugs caught: the "not held" answer ignored (||
// written &&), the error built without its reason, the session kept.
func TestReleaseOfALockNoLongerHeld(t *testing.T) {
	db := dbtest.New(t, dbtest.Empty()).OpenDB(t)
	key := pglock.Key("pglock-not-held")
	l := holdLock(t, db, key)
	if _, err := l.Conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock_all()"); err != nil {
		t.Fatal(err)
	}
	err := l.Release()
	if err == nil || !strings.Contains(err.Error(), "the lock was not held") {
		t.Fatalf("Release of a lock the session no longer holds: %v, want an error saying it was not held", err)
	}
	if err := l.Conn.PingContext(context.Background()); !errors.Is(err, sql.ErrConnDone) {
		t.Errorf("the session is still open after a failed Release (Ping: %v)", err)
	}
}
