// Package pglock holds PostgreSQL session advisory locks on a dedicated
// connection, for work that many instances may start at once and only one
// may do: applying migrations, running seeds.
//
// The lock belongs to the session, so a process that dies releases it with
// its connection; the wait is bounded by PostgreSQL's lock_timeout, so a
// waiter wakes the moment the holder releases instead of polling.
//
// The connection must be a server session of its own for as long as the
// lock is held: behind a transaction pooler (PgBouncer pool_mode=transaction)
// the lock would stay on a server session that other clients then share, so
// take it on a direct connection (db.Pools.DirectDB, POSTGRES_DIRECT_URL).
//
// # Usage
//
//	conn, err := db.Conn(ctx) // a connection of its own: the lock's session
//	if err != nil {
//		return err
//	}
//	l, err := pglock.Acquire(ctx, conn, key, time.Minute)
//	if errors.Is(err, pglock.ErrTimeout) {
//		return fmt.Errorf("another instance holds the lock: %w", err)
//	}
//	defer l.Release()
package pglock
