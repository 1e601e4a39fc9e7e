package dbtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AwaitAdvisoryWaiter returns once some session of db's server waits for
// an advisory lock (a pg_locks row not granted), or with an error when ctx
// ends first or the catalog cannot be read.
//
// Tests of lock waits release the holder only after it returns: a fixed
// sleep before the release measures nothing when a loaded machine has not
// yet reached the lock call by the time the sleep ends. It returns an error
// rather than failing a testing.TB so that it can run on the goroutine that
// holds the lock.
func AwaitAdvisoryWaiter(ctx context.Context, db *sql.DB) error {
	for {
		var n int
		err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`).Scan(&n)
		if err != nil {
			return fmt.Errorf("await advisory lock waiter: %w", err)
		}
		if n > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.New("await advisory lock waiter: no session waited for an advisory lock before the context ended")
		case <-time.After(5 * time.Millisecond):
		}
	}
}
