// Package pgserver starts and stops a real PostgreSQL cluster from the
// binaries installed on the machine: the application's development database
// (a persistent data directory such as .data/postgres) and the throwaway
// clusters of the test harness (internal/dbtest).
//
// # Binaries
//
// FindBinDir looks at $PG_BIN, then $PATH (following symlinks), then
// /usr/lib/postgresql/*/bin, highest version first. When nothing is found the
// error matches ErrBinariesNotFound and says to run apt-get install postgresql.
//
// # Data directory
//
// Config.DataDir holds the cluster (pgdata/), the unix socket directory
// (run/), central-credentials.json (generated passwords, mode 0600), the
// server log (postgres.log, the previous run in postgres.log.1) and a
// launcher lock. The first Start runs initdb and creates the roles; later
// starts reuse the cluster and its passwords. When the process runs as root,
// initdb, postgres and pg_basebackup run as the postgres system user, which
// owns the directory; every directory above it must be traversable by that
// user (Start says which one is not).
//
// # Roles and authentication
//
// The server listens on 127.0.0.1 only, on a free port unless Config.Port is
// set. Every connection, TCP or unix socket, needs a scram-sha-256 password.
// Roles: RoleSuperuser (bootstrap only), RoleReadWrite ("central", owns the
// database "central" and may create databases) and RoleReadOnly
// ("central_ro", member of pg_read_all_data, default_transaction_read_only
// on). URL builds a connection URL with the password escaped.
//
// Every start also marks jsonb @> (pg_catalog.jsonb_contains) LEAKPROOF in
// template1, so each database created later is born with it, and in the
// database "central", so clusters made by earlier versions get it too
// (tenantctx.LeakproofSQL; why it is safe and needed: internal/tenantctx).
//
// # Replica
//
// Server.StartReplica takes a pg_basebackup -R into its own data directory
// and runs it as a hot standby on its own port. Server.CurrentLSN and
// Replica.WaitReplay let a test wait until the replica has replayed a write;
// Replica.Stop and Replica.Start stop and resume it.
//
// # Robustness
//
//   - A postmaster.pid left by a crash (kill -9) is recovered by the next
//     Start: it waits for orphaned backends to exit, and removes the file when
//     its PID now belongs to an unrelated process.
//   - A second launcher on a data directory in use gets an error matching
//     ErrAlreadyRunning (*RunningError names the PID); nothing is touched.
//   - A taken port gives an error matching ErrPortInUse naming the port.
//   - Stop is a fast shutdown that waits for every postgres process to exit.
//     Postgres runs in its own process group, so Ctrl-C reaches only our
//     process, which then stops it in order; should our process die without
//     Stop, the kernel sends postgres SIGINT (a fast shutdown).
//   - Config.Ephemeral (tests only) turns fsync off for speed.
//
// # Usage
//
//	srv, err := pgserver.Start(ctx, pgserver.Config{DataDir: ".data/postgres", Logger: logger})
//	if err != nil {
//		return fmt.Errorf("start postgres: %w", err)
//	}
//	defer srv.Stop(context.Background())
//	pool, err := pgxpool.New(ctx, srv.URL(pgserver.RoleReadWrite, pgserver.Database))
package pgserver
