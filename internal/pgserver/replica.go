package pgserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"
)

// ReplicaConfig says where to run a streaming hot standby.
type ReplicaConfig struct {
	// DataDir for the replica, laid out like Config.DataDir. Required and
	// distinct from the primary's. An existing replica there is reused.
	DataDir string
	// Port on 127.0.0.1; 0 picks a free one (kept across Stop/Start).
	Port int
	// Settings are extra server settings passed as -c name=value, on top of
	// the primary's Config.Settings.
	Settings map[string]string
}

// Replica is a hot standby streaming from a Server.
type Replica struct {
	primary *Server
	inst    *instance
	cfg     ReplicaConfig

	mu   sync.Mutex
	pool *pgxpool.Pool // superuser on the replica, for WaitReplay
}

// replayPollInterval is how often WaitReplay asks the replica.
const replayPollInterval = 5 * time.Millisecond

// StartReplica clones the primary with pg_basebackup -R into cfg.DataDir
// (unless a replica is already there) and starts it as a hot standby that
// streams from s. It shares the primary's roles and passwords.
func (s *Server) StartReplica(ctx context.Context, cfg ReplicaConfig) (*Replica, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("pgserver: ReplicaConfig.DataDir is empty: say where the replica lives")
	}
	if abs, err := filepath.Abs(cfg.DataDir); err == nil && abs == s.DataDir() {
		return nil, fmt.Errorf("pgserver: replica data directory %s is the primary's; give the replica its own", abs)
	}
	inst, err := prepare(cfg.DataDir, s.inst.binDir, s.inst.base.With(zap.String("role", "replica")))
	if err != nil {
		return nil, err
	}
	inst.creds = s.inst.creds
	r := &Replica{primary: s, inst: inst, cfg: cfg}
	inst.args = r.serverArgs
	if err := r.clone(ctx); err != nil {
		inst.release()
		return nil, err
	}
	if err := r.Start(ctx); err != nil {
		inst.release()
		return nil, err
	}
	return r, nil
}

// clone takes the base backup unless the replica already exists.
func (r *Replica) clone(ctx context.Context) error {
	i := r.inst
	if err := saveCredentials(i.owner, filepath.Join(i.dataDir, credsName), i.creds); err != nil {
		return err
	}
	passfile := filepath.Join(i.dataDir, passfileName)
	line := fmt.Sprintf("%s:*:*:%s:%s\n", host, RoleSuperuser, pgpassEscape(i.creds.password(RoleSuperuser)))
	if err := i.owner.WriteFile(passfile, []byte(line)); err != nil {
		return err
	}
	if exists(filepath.Join(i.pgdata(), "PG_VERSION")) {
		return nil
	}
	if _, err := os.Stat(filepath.Join(i.binDir, "pg_basebackup")); err != nil {
		return fmt.Errorf("%w: no pg_basebackup in %s, needed for a replica", ErrBinariesNotFound, i.binDir)
	}
	tmp := i.pgdata() + ".basebackup"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("remove leftover %s: %w", tmp, err)
	}
	args := []string{
		"-D", tmp, "-R", "-X", "stream", "-c", "fast", "-w",
		"-h", host, "-p", strconv.Itoa(r.primary.Port()), "-U", string(RoleSuperuser),
	}
	if r.primary.ephemeral {
		args = append(args, "--no-sync")
	}
	i.logger.Info("cloning primary", zap.Int("primary_port", r.primary.Port()))
	if err := i.run(ctx, []string{"PGPASSFILE=" + passfile}, "pg_basebackup", args...); err != nil {
		return err
	}
	if err := os.Rename(tmp, i.pgdata()); err != nil {
		return fmt.Errorf("move base backup into place: %w", err)
	}
	return nil
}

func pgpassEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace(s)
}

// serverArgs points primary_conninfo at the primary's current port, which
// may differ from the one pg_basebackup -R recorded.
func (r *Replica) serverArgs() []string {
	// The primary's settings first: a hot standby refuses to start with a
	// smaller max_connections (and a few others) than its primary.
	settings := map[string]string{}
	for k, v := range r.primary.settings {
		settings[k] = v
	}
	for k, v := range r.cfg.Settings {
		settings[k] = v
	}
	args := commonArgs(r.inst, r.primary.ephemeral, settings)
	conninfo := fmt.Sprintf("host=%s port=%d user=%s passfile='%s' application_name=replica",
		host, r.primary.Port(), RoleSuperuser, strings.ReplaceAll(filepath.Join(r.inst.dataDir, passfileName), `'`, `\'`))
	return append(args, "-c", "primary_conninfo="+conninfo)
}

// Start starts the replica again after Stop; StartReplica already started it.
func (r *Replica) Start(ctx context.Context) error {
	if r.inst.running() {
		return nil
	}
	if r.inst.lock == nil {
		if err := r.inst.acquire(); err != nil {
			return err
		}
	}
	port := r.cfg.Port
	if port == 0 {
		port = r.inst.Port() // keep the port picked by the first start
	}
	if err := r.inst.start(ctx, port); err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, r.URL(RoleSuperuser, "postgres"))
	if err != nil {
		_ = r.inst.stop(context.Background())
		return fmt.Errorf("open replica pool: %w", err)
	}
	r.mu.Lock()
	r.pool = pool
	r.mu.Unlock()
	return nil
}

// Stop shuts the replica down and waits for its processes to exit. Start
// brings it back; it then catches up from the primary.
func (r *Replica) Stop(ctx context.Context) error {
	r.mu.Lock()
	pool := r.pool
	r.pool = nil
	r.mu.Unlock()
	if pool != nil {
		pool.Close()
	}
	err := r.inst.stop(ctx)
	r.inst.release()
	return err
}

// WaitReplay waits until the replica has replayed the WAL up to lsn (as
// returned by pg_current_wal_lsn() on the primary, e.g. "0/3000148"), so
// reads on the replica see every transaction committed before it.
func (r *Replica) WaitReplay(ctx context.Context, lsn string) error {
	r.mu.Lock()
	pool := r.pool
	r.mu.Unlock()
	if pool == nil || !r.inst.running() {
		return errors.New("pgserver: replica is stopped; Start it before waiting for replay")
	}
	var last error
	for {
		var done *bool
		err := pool.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", lsn).Scan(&done)
		var pgErr *pgconn.PgError
		switch {
		case errors.As(err, &pgErr):
			return fmt.Errorf("wait for replay of %s: %w", lsn, err)
		case err != nil:
			last = err // e.g. the replica restarting: retry until ctx ends
		case done == nil:
			return fmt.Errorf("pgserver: wait for replay of %s: the replica is not in recovery (promoted?)", lsn)
		case *done:
			return nil
		}
		if !r.inst.running() {
			return errors.New("pgserver: replica stopped while waiting for replay")
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("wait for replay of %s: %w (last error: %v)", lsn, ctx.Err(), last)
			}
			return fmt.Errorf("wait for replay of %s: %w", lsn, ctx.Err())
		case <-time.After(replayPollInterval):
		}
	}
}

// URL returns a connection URL for role and database on the replica.
func (r *Replica) URL(role Role, database string) string { return r.inst.url(role, database) }

// Port is the replica's TCP port.
func (r *Replica) Port() int { return r.inst.Port() }

// DataDir is the replica's absolute data directory.
func (r *Replica) DataDir() string { return r.inst.dataDir }

// PID is the replica postmaster's process ID, 0 while stopped.
func (r *Replica) PID() int { return r.inst.pid() }

// LogFile is the replica's server log of the current run.
func (r *Replica) LogFile() string { return r.inst.logFile() }
