package pglock_test

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/faultdb"
	"github.com/central/central/internal/pglock"
)

// TestAcquireFailsWhenAnyStepFails: whichever of Acquire's statements
// fails (the session itself staying healthy: a statement-level failure
// injected by faultdb in front of the real server), Acquire returns that error,
// no *Lock, and the session is discarded, so the key is free for others at
// once, including when the lock statement itself had succeeded before
// COMMIT failed (a session lock outlives its transaction's rollback).
//
// Bugs caught (mutants that lived before this test): the error of
// `SET idle_session_timeout = 0` swallowed (the lock then held by a
// session the server may end when idle), the error of BEGIN or of
// `SET LOCAL lock_timeout` swallowed (a *Lock returned although
// pg_advisory_lock never ran), the error of COMMIT swallowed (`return
// nil` instead of `return tx.Commit()`).
func TestAcquireFailsWhenAnyStepFails(t *testing.T) {
	tests := []struct {
		failOn  string
		timeout time.Duration
	}{
		{"SET idle_session_timeout", 0},
		// faultdb.Begin and faultdb.Commit name database/sql's BeginTx and Commit.
		{"SET idle_session_timeout", 5 * time.Second},
		{faultdb.Begin, 5 * time.Second},
		{"SET LOCAL lock_timeout", 5 * time.Second},
		{"SELECT pg_advisory_lock", 0},
		{"SELECT pg_advisory_lock", 5 * time.Second},
		{faultdb.Commit, 5 * time.Second},
	}
	tdb := dbtest.New(t, dbtest.Empty())
	plain := tdb.OpenDB(t)
	plain.SetMaxOpenConns(1) // the try-lock and the unlock on one session
	for _, tt := range tests {
		t.Run(tt.failOn+"/"+tt.timeout.String(), func(t *testing.T) {
			ctx := context.Background()
			fault := &faultdb.Fault{Match: regexp.MustCompile("^" + regexp.QuoteMeta(tt.failOn))}
			db, err := faultdb.OpenDB(tdb.URL, fault)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			c, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			key := pglock.Key("pglock-fault-" + tt.failOn)
			l, err := pglock.Acquire(ctx, c, key, tt.timeout)
			if !fault.Fired() {
				t.Fatalf("Acquire never ran %q (err %v)", tt.failOn, err)
			}
			if err == nil {
				_ = l.Release()
				t.Fatalf("Acquire succeeded although %q failed", tt.failOn)
			}
			if !errors.Is(err, faultdb.ErrInjected) || errors.Is(err, pglock.ErrTimeout) {
				t.Errorf("err = %v, want the injected failure (and not ErrTimeout)", err)
			}
			if err := c.PingContext(ctx); !errors.Is(err, sql.ErrConnDone) {
				t.Errorf("the failed session is still open (Ping: %v)", err)
			}
			// The key is free at once: the session that may have taken it is
			// gone. (Its end is asynchronous on the server: poll briefly.)
			deadline := time.Now().Add(5 * time.Second)
			for {
				var got bool
				if err := plain.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got {
					if _, err := plain.ExecContext(ctx, "SELECT pg_advisory_unlock_all()"); err != nil {
						t.Fatal(err)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the key is still held 5 s after Acquire failed on %q", tt.failOn)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
