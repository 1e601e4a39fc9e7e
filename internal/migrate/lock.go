package migrate

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// lockName is the advisory lock the atlas CLI takes in `migrate apply`
// (fnv32 of the name, as its postgres driver computes it), so this package
// and the CLI exclude each other too.
const lockName = "atlas_migrate_execute"

func lockKey() int64 {
	h := fnv.New32()
	h.Write([]byte(lockName))
	return int64(h.Sum32())
}

// lockedConn is a dedicated connection holding the session-level migration
// lock. The migrations run on it, so a dying session releases the lock and
// rolls back its transaction together.
type lockedConn struct {
	*sql.Conn
	key int64
}

// acquireLock takes the session advisory lock on a dedicated connection,
// waiting at most timeout (PostgreSQL's lock_timeout bounds the wait, so the
// waiter wakes the moment the holder releases instead of polling).
func acquireLock(ctx context.Context, db *sql.DB, timeout time.Duration) (*lockedConn, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("open lock connection: %w", err)
	}
	key := lockKey()
	err = func() error {
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
			return nil, fmt.Errorf("%w (waited %s; another instance is migrating or died holding it: see pg_locks where locktype = 'advisory' and objid = %d)", ErrLockTimeout, timeout, key)
		}
		return nil, fmt.Errorf("acquire migration lock: %w", err)
	}
	return &lockedConn{Conn: conn, key: key}, nil
}

// release unlocks and returns the connection to the pool; if unlocking fails
// the connection is discarded, which ends the session and its lock.
func (l *lockedConn) release() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var ok bool
	err := l.QueryRowContext(ctx, "SELECT pg_advisory_unlock($1)", l.key).Scan(&ok)
	if err != nil || !ok {
		discard(l.Conn)
		if err == nil {
			err = errors.New("migrate: migration lock was not held at release")
		}
		return fmt.Errorf("release migration lock: %w", err)
	}
	return l.Close()
}

// discard closes the connection and keeps it out of the pool.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}
