package seedengine_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/pglock"
	"github.com/central/central/internal/seedengine"
)

// holdSeedLock takes the seed lock on a session of its own.
func holdSeedLock(t *testing.T, db *txDB) *pglock.Lock {
	t.Helper()
	conn, err := db.pool.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l, err := pglock.Acquire(context.Background(), conn, pglock.Key("central_seed_run"), 0)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestEdgeSeedLockWaits: a run that waits for another instance's seed run
// says so on its progress writer; one whose context ends while waiting
// fails with the context's error, not ErrLockTimeout, and applies nothing.
// Bugs caught (found by mutation testing): the wait message's condition
// inverted, the acquire error swallowed.
func TestEdgeSeedLockWaits(t *testing.T) {
	names := []string{"0001_first_one"}
	t.Run("waits and says so", func(t *testing.T) {
		db := newTxDB(t, newTestDB(t))
		held := holdSeedLock(t, db)
		go func() { // let go only once the run waits: a fixed sleep raced a slow start
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := dbtest.AwaitAdvisoryWaiter(ctx, db.admin); err != nil {
				t.Error(err)
			}
			time.Sleep(100 * time.Millisecond)
			_ = held.Release()
		}()
		var out bytes.Buffer
		r := newRunner(t, db, config.Development, set(config.Development, "", names, nil), seedengine.WithProgress(&out))
		if _, err := r.Run(context.Background(), seedengine.RunOptions{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "for another instance's seed run") {
			t.Errorf("progress does not say the run waited:\n%s", out.String())
		}
	})
	t.Run("no wait, no message", func(t *testing.T) {
		db := newTxDB(t, newTestDB(t))
		var out bytes.Buffer
		r := newRunner(t, db, config.Development, set(config.Development, "", names, nil), seedengine.WithProgress(&out))
		if _, err := r.Run(context.Background(), seedengine.RunOptions{}); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), "waited") {
			t.Errorf("progress says the run waited, with nobody holding the lock:\n%s", out.String())
		}
	})
	t.Run("ctx ends while waiting", func(t *testing.T) {
		db := newTxDB(t, newTestDB(t))
		held := holdSeedLock(t, db)
		defer held.Release()
		ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
		defer cancel()
		_, err := newRunner(t, db, config.Development, set(config.Development, "", names, nil)).Run(ctx, seedengine.RunOptions{})
		if err == nil || errors.Is(err, seedengine.ErrLockTimeout) || !strings.Contains(err.Error(), "acquire seed lock") {
			t.Fatalf("Run whose ctx ends while another instance seeds: %v; want the acquire error", err)
		}
		if n := count(t, db, `SELECT count(*) FROM seeds`); n != 0 {
			t.Errorf("%d seeds applied without the lock", n)
		}
	})
}
