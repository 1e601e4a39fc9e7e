package pglock_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/pglock"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestLockExcludesOtherSessions(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t, dbtest.Empty()).OpenDB(t)
	key := pglock.Key("pglock-test")

	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			l, err := pglock.Acquire(ctx, conn, key, 10*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(20 * time.Millisecond)
			inside.Add(-1)
			if err := l.Release(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Fatalf("%d holders at once, want 1", most.Load())
	}
}

func TestAcquireTimesOut(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t, dbtest.Empty()).OpenDB(t)
	key := pglock.Key("pglock-timeout")
	c1, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	held, err := pglock.Acquire(ctx, c1, key, 0)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := pglock.Acquire(ctx, c2, key, 200*time.Millisecond); !errors.Is(err, pglock.ErrTimeout) {
		t.Fatalf("Acquire while held: %v, want ErrTimeout", err)
	}
	if waited := time.Since(start); waited < 150*time.Millisecond {
		t.Errorf("gave up after %s, before the timeout", waited)
	}
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
	// Released: the next caller gets it at once, and the pool is whole.
	c3, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l, err := pglock.Acquire(ctx, c3, key, time.Second)
	if err != nil {
		t.Fatalf("Acquire after release: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err == nil {
		t.Error("a second Release succeeded")
	}
}

// TestLockOutlivesIdleSessionTimeout: the lock's session sits idle while the
// guarded work runs elsewhere; a server-side idle_session_timeout must not
// end it and hand the lock to another instance.
func TestLockOutlivesIdleSessionTimeout(t *testing.T) {
	ctx := context.Background()
	tdb := dbtest.New(t, dbtest.Empty())
	admin, err := sql.Open("pgx", tdb.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `ALTER DATABASE "`+tdb.Name+`" SET idle_session_timeout = '200ms'`); err != nil {
		t.Fatal(err)
	}
	db := tdb.OpenDB(t) // new sessions get the database's setting
	key := pglock.Key("pglock-idle")
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l, err := pglock.Acquire(ctx, conn, key, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond) // three timeouts' worth of idleness

	var got bool
	if err := db.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got {
		t.Fatal("another session took the lock: the idle lock session was ended")
	}
	if err := l.Release(); err != nil {
		t.Fatalf("release after idling: %v", err)
	}
}

// TestDiscardEndsTheSessionOfAPoolBackedDB: when Release cannot unlock, the
// session must end (and its lock with it) even when the *sql.DB borrows
// connections from a pgxpool, as the app's pools do; returning ErrBadConn
// to database/sql alone would hand the session back to the pgxpool.
func TestDiscardEndsTheSessionOfAPoolBackedDB(t *testing.T) {
	ctx := context.Background()
	tdb := dbtest.New(t, dbtest.Empty())
	pool := tdb.Pool(t)
	db := stdlib.OpenDBFromPool(pool)
	t.Cleanup(func() { db.Close() })
	key := pglock.Key("pglock-discard")

	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l, err := pglock.Acquire(ctx, conn, key, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if err := l.Conn.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	// Unlock behind Release's back: Release then finds the lock not held
	// and must discard the session.
	if _, err := l.Conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", key); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err == nil {
		t.Fatal("Release succeeded on a lock that was not held")
	}
	admin, err := sql.Open("pgx", tdb.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var alive bool
		if err := admin.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)", pid).Scan(&alive); err != nil {
			t.Fatal(err)
		}
		if !alive {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %d still alive after Release discarded it: it went back to the pgxpool", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
