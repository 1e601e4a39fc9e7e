package pglock

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrTimeout is returned by Acquire when the lock was not granted within its
// timeout.
var ErrTimeout = errors.New("pglock: timed out waiting for the advisory lock")

// releaseTimeout bounds the unlock at Release, which runs on cleanup paths
// whose context may already be done.
const releaseTimeout = 5 * time.Second

// Key derives a lock key from a name (64-bit FNV-1a), for callers without a
// key imposed from outside.
func Key(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}

// Lock is a held session advisory lock. Conn is its session: work may run on
// it, and ends with the lock should the session die.
type Lock struct {
	Conn *sql.Conn
	key  int64
}

// Acquire takes the session advisory lock key on conn, waiting at most
// timeout (timeout <= 0: as long as ctx allows). Lock or not, conn belongs
// to the call: on failure it is closed and kept out of the pool.
func Acquire(ctx context.Context, conn *sql.Conn, key int64, timeout time.Duration) (*Lock, error) {
	err := func() error {
		// The lock's session may sit idle while others do the work it guards
		// (seeds run on other connections): a server-side
		// idle_session_timeout must not end it and free the lock mid-run.
		if _, err := conn.ExecContext(ctx, "SET idle_session_timeout = 0"); err != nil && !isUndefinedSetting(err) {
			return err
		}
		if timeout <= 0 {
			_, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key)
			return err
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback() //nolint:errcheck // no-op after commit
		// SET LOCAL ends with the transaction; the session lock outlives it.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d", max(timeout.Milliseconds(), 1))); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
			return err
		}
		return tx.Commit()
	}()
	if err != nil {
		discard(conn)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available
			return nil, fmt.Errorf("%w %d after %s (see pg_locks where locktype = 'advisory')", ErrTimeout, key, timeout)
		}
		return nil, fmt.Errorf("pglock: acquire advisory lock %d: %w", key, err)
	}
	return &Lock{Conn: conn, key: key}, nil
}

// Release unlocks and returns the session to the pool. If unlocking fails,
// the session is closed instead, which ends it and its lock.
func (l *Lock) Release() error {
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	var ok bool
	err := l.Conn.QueryRowContext(ctx, "SELECT pg_advisory_unlock($1)", l.key).Scan(&ok)
	if err != nil || !ok {
		discard(l.Conn)
		if err == nil {
			err = errors.New("the lock was not held")
		}
		return fmt.Errorf("pglock: release advisory lock %d: %w", l.key, err)
	}
	return l.Conn.Close()
}

// isUndefinedSetting is PostgreSQL before 14, which has no
// idle_session_timeout (and so cannot end idle sessions).
func isUndefinedSetting(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42704"
}

// discard closes conn's session instead of pooling it. ErrBadConn makes
// database/sql drop its connection, but when the *sql.DB lends connections
// of a pgxpool (stdlib.OpenDBFromPool, as the app's pools do) dropping only
// hands the session back to that pool, lock and all; so the pgx session is
// closed first, which the pool then discards. Returning ErrBadConn from Raw
// also closes conn itself (database/sql's documented contract for Raw), so
// no separate conn.Close is needed; TestFailedAcquireDiscardsTheSession
// checks that the conn is closed.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(dc any) error {
		if c, ok := dc.(interface{ Conn() *pgx.Conn }); ok {
			ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
			defer cancel()
			_ = c.Conn().Close(ctx)
		}
		return driver.ErrBadConn
	})
}
