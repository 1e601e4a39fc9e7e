package pgserver

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/central/central/internal/sysproc"
	"github.com/central/central/internal/tenantctx"
)

// Config says where and how to run a cluster.
type Config struct {
	// DataDir holds everything: the cluster (pgdata/), the unix socket
	// directory (run/), the credentials file and the server log. Required.
	// Created when missing; when running as root it is owned by the postgres
	// system user, and every directory above it must be traversable by it.
	DataDir string
	// Port on 127.0.0.1; 0 picks a free one at each start.
	Port int
	// BinDir holds initdb and postgres; empty means FindBinDir(os.Getenv).
	BinDir string
	// Logger receives start/stop events; nil logs nothing.
	Logger *zap.Logger
	// Ephemeral marks a throwaway cluster (tests): initdb --no-sync, fsync
	// and full_page_writes off. A crash may then lose data; never set it for
	// a cluster whose data matters.
	Ephemeral bool
	// Settings are extra server settings passed as -c name=value.
	Settings map[string]string
}

// Server is a running primary cluster started by Start.
type Server struct {
	inst      *instance
	ephemeral bool
	settings  map[string]string

	poolOnce sync.Once
	pool     *pgxpool.Pool // superuser, for CurrentLSN
	poolErr  error
}

// Start initializes the cluster in cfg.DataDir if needed (initdb, roles
// RoleReadWrite and RoleReadOnly with generated passwords, database
// "central"), starts postgres and waits until it accepts connections.
// Later starts reuse the cluster and its passwords.
//
// A data directory used by another launcher or a running postmaster yields an
// error matching ErrAlreadyRunning; a taken port one matching ErrPortInUse;
// missing binaries one matching ErrBinariesNotFound.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	inst, err := prepare(cfg.DataDir, cfg.BinDir, cfg.Logger)
	if err != nil {
		return nil, err
	}
	s := &Server{inst: inst, ephemeral: cfg.Ephemeral, settings: cfg.Settings}
	inst.args = func() []string { return s.serverArgs() }
	if err := s.initialize(ctx); err != nil {
		inst.release()
		return nil, err
	}
	if err := inst.start(ctx, cfg.Port); err != nil {
		inst.release()
		return nil, err
	}
	if err := s.bootstrap(ctx); err != nil {
		_ = inst.stop(context.Background())
		inst.release()
		return nil, fmt.Errorf("create roles and database: %w", err)
	}
	return s, nil
}

// prepare validates the common inputs, creates the data directory and takes
// the launcher lock.
func prepare(dataDir, binDir string, logger *zap.Logger) (*instance, error) {
	if dataDir == "" {
		return nil, errors.New("pgserver: Config.DataDir is empty: say where the cluster lives, e.g. .data/postgres")
	}
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("resolve data dir: %w", err)
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	if binDir == "" {
		if binDir, err = FindBinDir(os.Getenv); err != nil {
			return nil, err
		}
	} else if err := hasBinaries(binDir); err != nil {
		return nil, fmt.Errorf("%w: BinDir %s: %v", ErrBinariesNotFound, binDir, err)
	}
	own, err := sysproc.CurrentOwner()
	if err != nil {
		return nil, fmt.Errorf("pgserver: %w", err)
	}
	if err := own.Mkdir(dataDir); err != nil {
		return nil, err
	}
	if err := own.CheckReachable(dataDir); err != nil {
		return nil, fmt.Errorf("pgserver: %w", err)
	}
	inst := &instance{binDir: binDir, dataDir: dataDir, owner: own, base: logger, logger: logger.With(zap.String("data_dir", dataDir))}
	if err := inst.acquire(); err != nil {
		return nil, err
	}
	return inst, nil
}

// initialize runs initdb unless the cluster exists, and loads the passwords.
func (s *Server) initialize(ctx context.Context) error {
	i := s.inst
	credsPath := filepath.Join(i.dataDir, credsName)
	creds, haveCreds, err := loadCredentials(credsPath)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(i.pgdata(), "PG_VERSION")); err == nil {
		if !haveCreds {
			return fmt.Errorf("pgserver: cluster %s exists but %s is missing, so its passwords are unknown; restore the file or delete the whole data directory to start over", i.pgdata(), credsPath)
		}
		i.creds = creds
		return nil
	}
	if entries, err := os.ReadDir(i.pgdata()); err == nil && len(entries) > 0 {
		return fmt.Errorf("pgserver: %s is not empty but holds no cluster (no PG_VERSION); move it away", i.pgdata())
	}
	if !haveCreds {
		if creds, err = newCredentials(); err != nil {
			return err
		}
		// Saved before initdb so a crash in between never loses a password.
		if err := saveCredentials(i.owner, credsPath, creds); err != nil {
			return err
		}
	}
	i.creds = creds

	// initdb into a scratch directory renamed at the end, so an interrupted
	// initdb never leaves a half-made cluster that looks complete.
	tmp := i.pgdata() + ".initdb"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("remove leftover %s: %w", tmp, err)
	}
	pwfile := filepath.Join(i.dataDir, "initdb.pw")
	if err := i.owner.WriteFile(pwfile, []byte(creds.password(RoleSuperuser)+"\n")); err != nil {
		return err
	}
	defer os.Remove(pwfile)
	args := []string{
		"-D", tmp, "-U", string(RoleSuperuser), "--pwfile", pwfile,
		"-A", "scram-sha-256", "-E", "UTF8", "--locale", "C.UTF-8", "--lc-collate", "C",
		"--no-instructions",
	}
	if s.ephemeral {
		args = append(args, "--no-sync")
	}
	i.logger.Info("initializing cluster", zap.String("pgdata", i.pgdata()))
	if err := i.run(ctx, nil, "initdb", args...); err != nil {
		return err
	}
	if err := i.owner.WriteFile(filepath.Join(tmp, "pg_hba.conf"), []byte(hbaConf)); err != nil {
		return err
	}
	if err := os.Rename(tmp, i.pgdata()); err != nil {
		return fmt.Errorf("move new cluster into place: %w", err)
	}
	return nil
}

// hbaConf requires a scram password for every connection, TCP or socket.
const hbaConf = `# Written by internal/pgserver: every connection needs a scram-sha-256 password.
# TYPE  DATABASE     USER  ADDRESS        METHOD
local   all          all                  scram-sha-256
host    all          all   127.0.0.1/32   scram-sha-256
host    replication  all   127.0.0.1/32   scram-sha-256
`

// maxSocketPath is the room for a unix socket path (sun_path) on Linux.
const maxSocketPath = 107

// commonArgs are the settings of primaries and replicas alike.
func commonArgs(i *instance, ephemeral bool, settings map[string]string) []string {
	sock := i.socketDir()
	if len(sock)+len("/.s.PGSQL.65535") > maxSocketPath {
		i.logger.Warn("data directory path too long for a unix socket; listening on TCP only", zap.String("socket_dir", sock))
		sock = ""
	}
	set := map[string]string{
		"listen_addresses":        host,
		"unix_socket_directories": sock,
		"unix_socket_permissions": "0700",
		"wal_level":               "replica",
		"max_wal_senders":         "10",
		"hot_standby":             "on",
		"logging_collector":       "off",
	}
	if ephemeral {
		set["fsync"] = "off"
		set["full_page_writes"] = "off"
	}
	for k, v := range settings {
		set[k] = v
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var args []string
	for _, k := range keys {
		args = append(args, "-c", k+"="+set[k])
	}
	return args
}

func (s *Server) serverArgs() []string { return commonArgs(s.inst, s.ephemeral, s.settings) }

// bootstrap creates the roles and the application database when missing,
// and marks jsonb @> leakproof in template1 and the application database
// (tenantctx.LeakproofSQL). It is idempotent and runs at every start.
func (s *Server) bootstrap(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, s.URL(RoleSuperuser, "postgres"))
	if err != nil {
		return fmt.Errorf("connect as superuser: %w", err)
	}
	defer conn.Close(context.Background())
	roles := []struct {
		role  Role
		attrs string
	}{
		{RoleReadWrite, "LOGIN CREATEDB"},
		{RoleReadOnly, "LOGIN"},
	}
	for _, r := range roles {
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", string(r.role)).Scan(&exists); err != nil {
			return fmt.Errorf("look up role %s: %w", r.role, err)
		}
		if exists {
			continue
		}
		sql := fmt.Sprintf("CREATE ROLE %s %s PASSWORD %s", ident(string(r.role)), r.attrs, QuoteLiteral(s.inst.creds.password(r.role)))
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("create role %s: %w", r.role, err)
		}
	}
	for _, sql := range []string{
		"GRANT pg_read_all_data TO " + ident(string(RoleReadOnly)),
		"ALTER ROLE " + ident(string(RoleReadOnly)) + " SET default_transaction_read_only = on",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("configure role %s: %w", RoleReadOnly, err)
		}
	}
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", Database).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", Database, err)
	}
	// template1 first, so every database created later (the app's, the
	// test harness's templates) is born with the mark; then the app database
	// itself, which on a cluster made by an earlier version predates it.
	if err := s.markLeakproof(ctx, "template1"); err != nil {
		return err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident(Database)+" OWNER "+ident(string(RoleReadWrite))); err != nil {
			return fmt.Errorf("create database %s: %w", Database, err)
		}
	}
	return s.markLeakproof(ctx, Database)
}

// markLeakproof applies tenantctx.LeakproofSQL in database when it is not
// in effect there yet, and says so in the log.
func (s *Server) markLeakproof(ctx context.Context, database string) error {
	marked, err := MarkLeakproof(ctx, s.URL(RoleSuperuser, database))
	if marked {
		s.inst.logger.Info("marked jsonb @> (jsonb_contains) leakproof, for GIN indexes under row-level security", zap.String("database", database))
	}
	return err
}

// MarkLeakproof applies tenantctx.LeakproofSQL in the database that
// superuserURL reaches (pg_proc is per database; any server, embedded or
// not) when it is not in effect there yet, so a restart writes nothing to
// the catalog; marked says whether it wrote. The connection is closed on
// return: CREATE DATABASE refuses to copy a template1 somebody is
// connected to.
func MarkLeakproof(ctx context.Context, superuserURL string) (marked bool, err error) {
	cfg, err := pgx.ParseConfig(superuserURL)
	if err != nil {
		return false, fmt.Errorf("parse superuser URL: %w", err) // pgx's error hides the password
	}
	database := cfg.Database
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, fmt.Errorf("connect as superuser to %s: %w", database, err)
	}
	defer conn.Close(context.Background())
	var leakproof bool
	if err := conn.QueryRow(ctx, tenantctx.LeakproofQuery).Scan(&leakproof); err != nil {
		return false, fmt.Errorf("check jsonb @> leakproof in %s: %w", database, err)
	}
	if leakproof {
		return false, nil
	}
	if _, err := conn.Exec(ctx, tenantctx.LeakproofSQL); err != nil {
		return false, fmt.Errorf("mark jsonb @> leakproof in %s: %w", database, err)
	}
	return true, nil
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }

// QuoteLiteral quotes s as an SQL string literal (standard_conforming_strings
// on, PostgreSQL's default), for statements that take no parameters.
func QuoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Stop shuts the server down (fast shutdown: clients are disconnected) and
// waits until every postgres process has exited. Stop replicas first. When
// ctx ends before that, it forces an immediate shutdown. Safe to call twice.
func (s *Server) Stop(ctx context.Context) error {
	s.poolOnce.Do(func() { s.poolErr = errors.New("pgserver: server stopped") })
	if s.pool != nil {
		s.pool.Close()
	}
	err := s.inst.stop(ctx)
	s.inst.release()
	return err
}

// URL returns a connection URL for role and database over TCP, password
// included and escaped.
func (s *Server) URL(role Role, database string) string { return s.inst.url(role, database) }

// Host is the address the server listens on.
func (s *Server) Host() string { return host }

// Port is the TCP port the server listens on.
func (s *Server) Port() int { return s.inst.Port() }

// DataDir is the absolute data directory given in Config.
func (s *Server) DataDir() string { return s.inst.dataDir }

// SocketDir is the directory holding the unix socket.
func (s *Server) SocketDir() string { return s.inst.socketDir() }

// LogFile is the server log of the current run.
func (s *Server) LogFile() string { return s.inst.logFile() }

// PID is the postmaster's process ID, 0 once stopped.
func (s *Server) PID() int { return s.inst.pid() }

// Password returns the generated password of role.
func (s *Server) Password(role Role) string { return s.inst.creds.password(role) }

// Done is closed when the postmaster exits, whether through Stop or not.
func (s *Server) Done() <-chan struct{} {
	s.inst.mu.Lock()
	defer s.inst.mu.Unlock()
	if s.inst.proc == nil {
		closed := make(chan struct{})
		close(closed)
		return closed
	}
	return s.inst.proc.Done()
}

// CurrentLSN returns pg_current_wal_lsn(): pass it to Replica.WaitReplay to
// wait until the replica has seen everything committed so far.
func (s *Server) CurrentLSN(ctx context.Context) (string, error) {
	s.poolOnce.Do(func() {
		s.pool, s.poolErr = pgxpool.New(context.Background(), s.URL(RoleSuperuser, "postgres"))
	})
	if s.poolErr != nil {
		return "", fmt.Errorf("connect to primary: %w", s.poolErr)
	}
	var lsn string
	if err := s.pool.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn); err != nil {
		return "", fmt.Errorf("read current WAL LSN: %w", err)
	}
	return lsn, nil
}

// exists reports whether path exists.
func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}
