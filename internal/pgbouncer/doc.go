// Package pgbouncer starts and stops a real PgBouncer in front of a
// PostgreSQL server, from the binary installed on the machine (Debian's
// pgbouncer package), the way internal/pgserver starts PostgreSQL: for tests
// that must prove the app works behind a transaction pooler.
//
// # What runs
//
// Start writes pgbouncer.ini and userlist.txt (the auth_file, mode 0600) into
// Config.DataDir and runs pgbouncer in the foreground as a child process:
//
//   - listen_addr 127.0.0.1 on a free port (Config.Port to choose one); no
//     unix socket;
//   - one wildcard database entry (* = host=... port=...), so every database
//     of the upstream server is reachable under its own name: per-test
//     databases need no configuration;
//   - pool_mode transaction and default_pool_size Config.PoolSize (default
//     2): at most that many server connections per (database, user) pair, so
//     a handful of clients share a couple of server sessions, as in
//     production;
//   - auth_type scram-sha-256 against the auth_file built from Config.Users
//     (role → password, the upstream cluster's own roles and passwords):
//     clients authenticate to PgBouncer with SCRAM and PgBouncer logs into
//     PostgreSQL as the same role with the same password;
//   - stock settings otherwise: in particular ignore_startup_parameters is
//     empty, so a client sending a startup parameter PgBouncer does not track
//     (e.g. default_transaction_read_only) is refused as in production.
//
// When the process runs as root, pgbouncer runs as the postgres system user
// (it refuses root), which owns the data directory.
//
// # Robustness
//
//   - A missing binary gives an error matching ErrBinaryNotFound that says
//     to apt-get install pgbouncer (or set PGBOUNCER_BIN).
//   - Start waits until PgBouncer accepts connections; a process that exits
//     during startup yields an error with the tail of its log. A free port
//     taken between the probe and the bind is retried on another port.
//   - Stop is an immediate shutdown (SIGTERM: client connections are closed)
//     that waits for the process to exit, then SIGKILL if ctx ends first.
//     PgBouncer runs in its own process group and gets SIGTERM from the
//     kernel should our process die without calling Stop: nothing is left
//     behind.
//
// # Usage
//
//	b, err := pgbouncer.Start(ctx, pgbouncer.Config{
//		DataDir:      dir,
//		UpstreamPort: srv.Port(),
//		Users:        map[string]string{"central": srv.Password(pgserver.RoleReadWrite)},
//	})
//	if err != nil {
//		return err
//	}
//	defer b.Stop(context.Background())
//	pooled, err := b.URL(srv.URL(pgserver.RoleReadWrite, "central")) // same URL, PgBouncer's address
package pgbouncer
