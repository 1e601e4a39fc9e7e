// Package sysproc runs the server binaries the project starts for itself
// (postgres and its helpers in internal/pgserver, pgbouncer in
// internal/pgbouncer) the way both need:
//
//   - Owner is the account the child runs as: the postgres system user when we
//     are root (postgres and pgbouncer refuse to run as root), nil (ourselves)
//     otherwise. Its methods create the private directories and files the
//     child uses and give them to that account, check that the account can
//     reach a directory, and build the child's environment and SysProcAttr.
//   - SysProcAttr puts the child in its own process group (Ctrl-C on the
//     terminal reaches only our process, which then stops the child in order)
//     and asks the kernel to signal it when we die (Pdeathsig), so a launcher
//     killed with SIGKILL leaves nothing running.
//   - Process starts a command and waits for it in the background (Done, Err);
//     Stop asks it to exit and escalates when the context ends.
//   - OpenLog, Tail, FreePort and PortFree are the small pieces around them:
//     a log kept for post-mortems, its last lines for error messages, and a
//     loopback port to listen on.
//
// Linux only (Pdeathsig, /proc).
package sysproc
