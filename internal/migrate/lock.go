package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/central/central/internal/pglock"
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

// acquireLock takes the migration lock on a dedicated connection, waiting at
// most timeout. The migrations then run on the lock's connection, so a dying
// session releases the lock and rolls back its transaction together.
func acquireLock(ctx context.Context, db *sql.DB, timeout time.Duration) (*pglock.Lock, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("open lock connection: %w", err)
	}
	l, err := pglock.Acquire(ctx, conn, lockKey(), timeout)
	switch {
	case errors.Is(err, pglock.ErrTimeout):
		return nil, fmt.Errorf("%w (waited %s; another instance is migrating or died holding it: see pg_locks where locktype = 'advisory' and objid = %d)", ErrLockTimeout, timeout, lockKey())
	case err != nil:
		return nil, fmt.Errorf("acquire migration lock: %w", err)
	}
	return l, nil
}
