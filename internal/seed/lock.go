package seed

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

// lockKey is the session advisory lock a seed run holds, derived from a name
// so it does not collide with the migration lock (visible in pg_locks as
// classid/objid, the key's high and low halves).
func lockKey() int64 {
	h := fnv.New64a()
	h.Write([]byte("central_seed_run"))
	return int64(h.Sum64())
}

// seedLock is a dedicated session holding the seed lock; seeds run on other
// connections, so a seed's transaction never shares the lock's session.
type seedLock struct{ conn *sql.Conn }

func (r *Runner[D]) lock(ctx context.Context) (*seedLock, error) {
	conn, err := r.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("seed: open lock connection: %w", err)
	}
	start := r.o.now()
	err = func() error {
		if r.o.lockTimeout <= 0 {
			_, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", lockKey())
			return err
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback() //nolint:errcheck // no-op after commit
		// SET LOCAL ends with the transaction; the session lock outlives it.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d", max(r.o.lockTimeout.Milliseconds(), 1))); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_lock($1)", lockKey()); err != nil {
			return err
		}
		return tx.Commit()
	}()
	if err != nil {
		discard(conn)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available
			return nil, fmt.Errorf("%w (waited %s; another instance is seeding or died holding it: see pg_locks where locktype = 'advisory')", ErrLockTimeout, r.o.lockTimeout)
		}
		return nil, fmt.Errorf("seed: acquire seed lock: %w", err)
	}
	if waited := r.o.now().Sub(start); waited > 100*time.Millisecond {
		fmt.Fprintf(r.o.out, "seed: waited %s for another instance's seed run\n", waited.Round(time.Millisecond))
	}
	return &seedLock{conn: conn}, nil
}

// release unlocks and returns the session to the pool; if unlocking fails the
// session is discarded, which ends it and its lock.
func (l *seedLock) release() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var ok bool
	err := l.conn.QueryRowContext(ctx, "SELECT pg_advisory_unlock($1)", lockKey()).Scan(&ok)
	if err != nil || !ok {
		discard(l.conn)
		if err == nil {
			err = errors.New("seed: seed lock was not held at release")
		}
		return err
	}
	return l.conn.Close()
}

// discard closes conn's session instead of pooling it.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}
