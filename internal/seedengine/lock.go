package seedengine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/central/central/internal/pglock"
)

// lockKey is the session advisory lock a seed run holds, derived from a name
// so it does not collide with the migration lock (visible in pg_locks as
// classid/objid, the key's high and low halves).
var lockKey = pglock.Key("central_seed_run")

// lock takes the seed lock on a dedicated session; seeds run on other
// connections, so a seed's transaction never shares the lock's session.
func (r *Runner[D]) lock(ctx context.Context) (*pglock.Lock, error) {
	conn, err := r.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("seed: open lock connection: %w", err)
	}
	start := r.o.now()
	l, err := pglock.Acquire(ctx, conn, lockKey, r.o.lockTimeout)
	switch {
	case errors.Is(err, pglock.ErrTimeout):
		return nil, fmt.Errorf("%w (waited %s; another instance is seeding or died holding it: see pg_locks where locktype = 'advisory')", ErrLockTimeout, r.o.lockTimeout)
	case err != nil:
		return nil, fmt.Errorf("seed: acquire seed lock: %w", err)
	}
	if waited := r.o.now().Sub(start); waited > 100*time.Millisecond {
		fmt.Fprintf(r.o.out, "seed: waited %s for another instance's seed run\n", waited.Round(time.Millisecond))
	}
	return l, nil
}
