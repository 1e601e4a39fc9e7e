package pgbouncer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/central/central/internal/sysproc"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/zap"
)

// ErrBinaryNotFound is returned by FindBinary and Start when no pgbouncer
// executable can be found.
var ErrBinaryNotFound = errors.New("pgbouncer: pgbouncer binary not found")

// DefaultPoolSize is default_pool_size when Config.PoolSize is 0: server
// connections per (database, user) pair.
const DefaultPoolSize = 2

const (
	host           = "127.0.0.1"
	iniName        = "pgbouncer.ini"
	authName       = "userlist.txt"
	logName        = "pgbouncer.log"
	pidName        = "pgbouncer.pid"
	startTimeout   = 30 * time.Second
	pollInterval   = 20 * time.Millisecond
	stopGrace      = 10 * time.Second
	portRetries    = 3
	defaultClients = 200
)

// Config says how to run PgBouncer.
type Config struct {
	// DataDir receives pgbouncer.ini, userlist.txt, the log and the pid
	// file. Required; created when missing (mode 0700, owned by the postgres
	// user when running as root, so every directory above it must be
	// traversable by that user).
	DataDir string
	// UpstreamHost and UpstreamPort locate PostgreSQL. Host defaults to
	// 127.0.0.1; Port is required.
	UpstreamHost string
	UpstreamPort int
	// Users are the roles allowed in, with their passwords: PgBouncer checks
	// clients against them (SCRAM) and logs into PostgreSQL with them.
	Users map[string]string
	// AdminUsers may use the admin console (database "pgbouncer"; SHOW
	// SERVERS, ...). Each must be in Users.
	AdminUsers []string
	// PoolSize is default_pool_size (0: DefaultPoolSize).
	PoolSize int
	// MaxClientConn is max_client_conn (0: 200).
	MaxClientConn int
	// Port on 127.0.0.1; 0 picks a free one.
	Port int
	// Binary is the pgbouncer executable; empty means FindBinary(os.Getenv).
	Binary string
	// Logger receives start and stop events; nil logs nothing.
	Logger *zap.Logger
	// Settings are extra [pgbouncer] settings (name = value), applied last.
	Settings map[string]string
}

// Bouncer is a running PgBouncer started by Start.
type Bouncer struct {
	cfg     Config
	dir     string
	bin     string
	own     *sysproc.Owner // nil: ourselves
	logger  *zap.Logger
	mu      sync.Mutex
	port    int
	proc    *sysproc.Process
	stopped bool
}

// FindBinary locates pgbouncer: $PGBOUNCER_BIN (which, when set, must be
// executable), then $PATH, then /usr/sbin/pgbouncer (Debian installs it
// outside a normal user's PATH). getenv is usually os.Getenv.
func FindBinary(getenv func(string) string) (string, error) {
	if p := getenv("PGBOUNCER_BIN"); p != "" {
		if err := executable(p); err != nil {
			return "", fmt.Errorf("%w: PGBOUNCER_BIN=%s: %v; point it at the pgbouncer executable or unset it", ErrBinaryNotFound, p, err)
		}
		return filepath.Abs(p)
	}
	for _, dir := range append(filepath.SplitList(getenv("PATH")), "/usr/sbin", "/usr/local/sbin") {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, "pgbouncer")
		if executable(p) == nil {
			return filepath.Abs(p)
		}
	}
	return "", fmt.Errorf("%w: looked in $PGBOUNCER_BIN, $PATH, /usr/sbin and /usr/local/sbin; install it (Debian/Ubuntu: apt-get install pgbouncer) or set PGBOUNCER_BIN", ErrBinaryNotFound)
}

func executable(p string) error {
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return err
	case fi.IsDir() || fi.Mode().Perm()&0o111 == 0:
		return errors.New("not an executable file")
	}
	return nil
}

// Start writes the configuration, starts pgbouncer and waits until it
// accepts connections.
func Start(ctx context.Context, cfg Config) (*Bouncer, error) {
	if err := validate(&cfg); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("pgbouncer: resolve data dir: %w", err)
	}
	bin := cfg.Binary
	if bin == "" {
		if bin, err = FindBinary(os.Getenv); err != nil {
			return nil, err
		}
	} else if err := executable(bin); err != nil {
		return nil, fmt.Errorf("%w: Binary %s: %v; install it (Debian/Ubuntu: apt-get install pgbouncer) or fix the path", ErrBinaryNotFound, bin, err)
	}
	own, err := sysproc.CurrentOwner()
	if err != nil {
		return nil, fmt.Errorf("pgbouncer: %w", err)
	}
	if err := own.Mkdir(dir); err != nil {
		return nil, fmt.Errorf("pgbouncer: %w", err)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = zap.NewNop()
	}
	b := &Bouncer{cfg: cfg, dir: dir, bin: bin, own: own, logger: logger.With(zap.String("data_dir", dir))}
	if err := own.WriteFile(filepath.Join(dir, authName), []byte(authFile(cfg.Users))); err != nil {
		return nil, fmt.Errorf("pgbouncer: %w", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	for attempt := 1; ; attempt++ {
		port := cfg.Port
		if port == 0 {
			if port, err = sysproc.FreePort(host); err != nil {
				return nil, fmt.Errorf("pgbouncer: %w", err)
			}
		}
		err := b.spawn(ctx, port)
		if err == nil {
			return b, nil
		}
		// A port we picked may have been taken before pgbouncer bound it.
		if cfg.Port == 0 && attempt < portRetries && sysproc.PortFree(host, port) != nil {
			b.logger.Warn("picked port was taken meanwhile, retrying", zap.Int("port", port))
			continue
		}
		return nil, err
	}
}

func validate(cfg *Config) error {
	var problems []string
	if cfg.DataDir == "" {
		problems = append(problems, "Config.DataDir is empty: say where the configuration and log go")
	}
	if cfg.UpstreamHost == "" {
		cfg.UpstreamHost = host
	}
	if strings.ContainsAny(cfg.UpstreamHost, " \t\r\n\x00'\"=") {
		problems = append(problems, fmt.Sprintf("Config.UpstreamHost %q is not a host name or address", cfg.UpstreamHost))
	}
	if cfg.UpstreamPort < 1 || cfg.UpstreamPort > 65535 {
		problems = append(problems, fmt.Sprintf("Config.UpstreamPort %d is not a TCP port: pass the PostgreSQL server's port", cfg.UpstreamPort))
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		problems = append(problems, fmt.Sprintf("Config.Port %d is not a TCP port (0 picks a free one)", cfg.Port))
	}
	if len(cfg.Users) == 0 {
		problems = append(problems, "Config.Users is empty: list the roles (and passwords) clients log in as")
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Users)) {
		// The auth_file quotes with "..." and doubles inner quotes; control
		// characters cannot be written at all.
		if name == "" || strings.ContainsFunc(name, isControl) {
			problems = append(problems, fmt.Sprintf("user %q: names must be non-empty and free of control characters", name))
		}
		if strings.ContainsFunc(cfg.Users[name], isControl) {
			problems = append(problems, fmt.Sprintf("user %q: the password contains a control character, which the auth_file cannot hold", name))
		}
	}
	for _, a := range cfg.AdminUsers {
		if _, ok := cfg.Users[a]; !ok {
			problems = append(problems, fmt.Sprintf("admin user %q is not in Config.Users", a))
		}
	}
	if cfg.PoolSize < 0 || cfg.MaxClientConn < 0 {
		problems = append(problems, "Config.PoolSize and Config.MaxClientConn must not be negative (0 means the default)")
	}
	for k, v := range cfg.Settings {
		if k == "" || strings.ContainsAny(k, " =\r\n\x00[") || strings.ContainsAny(v, "\r\n\x00") {
			problems = append(problems, fmt.Sprintf("setting %q: names are single words and values single lines", k))
		}
	}
	if len(problems) > 0 {
		return errors.New("pgbouncer: invalid config: " + strings.Join(problems, "; "))
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// authFile is the auth_file: "user" "password" per line, inner double quotes
// doubled. Plain passwords let PgBouncer check clients' SCRAM proofs and log
// into PostgreSQL with SCRAM itself.
func authFile(users map[string]string) string {
	var b strings.Builder
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	for _, name := range slices.Sorted(maps.Keys(users)) {
		b.WriteString(q(name) + " " + q(users[name]) + "\n")
	}
	return b.String()
}

// ini renders pgbouncer.ini for port.
func (b *Bouncer) ini(port int) string {
	c := b.cfg
	pool, clients := c.PoolSize, c.MaxClientConn
	if pool == 0 {
		pool = DefaultPoolSize
	}
	if clients == 0 {
		clients = defaultClients
	}
	set := map[string]string{
		"listen_addr":       host,
		"listen_port":       strconv.Itoa(port),
		"unix_socket_dir":   "",
		"auth_type":         "scram-sha-256",
		"auth_file":         filepath.Join(b.dir, authName),
		"pool_mode":         "transaction",
		"default_pool_size": strconv.Itoa(pool),
		"min_pool_size":     "0",
		"reserve_pool_size": "0",
		"max_client_conn":   strconv.Itoa(clients),
		"logfile":           filepath.Join(b.dir, logName),
		"pidfile":           filepath.Join(b.dir, pidName),
		"admin_users":       strings.Join(c.AdminUsers, ","),
		// Tests open and drop databases quickly; the defaults (off) keep
		// the log quiet enough to read.
		"log_connections":    "0",
		"log_disconnections": "0",
	}
	for k, v := range c.Settings {
		set[k] = v
	}
	var s strings.Builder
	s.WriteString("; Written by internal/pgbouncer.\n[databases]\n")
	fmt.Fprintf(&s, "* = host=%s port=%d\n\n[pgbouncer]\n", c.UpstreamHost, c.UpstreamPort)
	for _, k := range slices.Sorted(maps.Keys(set)) {
		fmt.Fprintf(&s, "%s = %s\n", k, set[k])
	}
	return s.String()
}

func (b *Bouncer) spawn(ctx context.Context, port int) error {
	iniPath := filepath.Join(b.dir, iniName)
	if err := b.own.WriteFile(iniPath, []byte(b.ini(port))); err != nil {
		return fmt.Errorf("pgbouncer: %w", err)
	}
	logPath := b.LogFile()
	// pgbouncer appends to logfile itself; its stderr (early failures
	// before the log is open) goes to the same file.
	out, err := b.own.OpenLog(logPath)
	if err != nil {
		return fmt.Errorf("pgbouncer: %w", err)
	}
	defer out.Close() // the child holds its own descriptor
	cmd := exec.Command(b.bin, iniPath)
	cmd.Dir = b.dir
	cmd.Env = b.own.Env()
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = b.own.SysProcAttr(syscall.SIGTERM)
	proc, err := sysproc.Start(cmd)
	if err != nil {
		return fmt.Errorf("pgbouncer: start %s: %w", b.bin, err)
	}
	b.mu.Lock()
	b.proc, b.port, b.stopped = proc, port, false
	b.mu.Unlock()
	if err := b.waitReady(ctx, proc); err != nil {
		_ = b.Stop(context.Background())
		return fmt.Errorf("%w\n--- %s ---\n%s", err, logPath, sysproc.Tail(logPath, 20))
	}
	b.logger.Info("pgbouncer started", zap.String("host", host), zap.Int("port", port),
		zap.Int("pid", proc.PID()), zap.String("log", logPath))
	return nil
}

// waitReady waits until the port accepts TCP connections and answers the
// startup of a (deliberately unknown) user with a PostgreSQL error: then
// pgbouncer has loaded its configuration and serves the protocol.
func (b *Bouncer) waitReady(ctx context.Context, proc *sysproc.Process) error {
	cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://central_pgbouncer_probe@%s/pgbouncer?sslmode=disable&connect_timeout=2", net.JoinHostPort(host, strconv.Itoa(b.port))))
	if err != nil {
		return fmt.Errorf("pgbouncer: probe config: %w", err)
	}
	return proc.WaitReady(ctx, "pgbouncer", pollInterval, func(ctx context.Context) (bool, error) {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			_ = conn.Close(ctx)
			return true, nil
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			return true, nil // pgbouncer answered: it is up
		}
		return false, err
	})
}

// Stop shuts PgBouncer down at once (client connections are closed) and
// waits for it to exit; when ctx ends first it is killed. Safe to call twice.
func (b *Bouncer) Stop(ctx context.Context) error {
	b.mu.Lock()
	proc, stopped := b.proc, b.stopped
	b.stopped = true
	b.mu.Unlock()
	if proc == nil || stopped {
		return nil
	}
	// SIGTERM is pgbouncer's immediate shutdown.
	err := proc.Stop(ctx, syscall.SIGTERM, syscall.SIGKILL, stopGrace)
	if err != nil {
		err = fmt.Errorf("pgbouncer: shutdown: %w; killed it", err)
	}
	b.logger.Info("pgbouncer stopped", zap.Int("pid", proc.PID()))
	return err
}

// Host is the address PgBouncer listens on.
func (b *Bouncer) Host() string { return host }

// Port is the TCP port PgBouncer listens on.
func (b *Bouncer) Port() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.port
}

// PID is pgbouncer's process ID.
func (b *Bouncer) PID() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.proc == nil {
		return 0
	}
	return b.proc.PID()
}

// Done is closed when the process exits, through Stop or not.
func (b *Bouncer) Done() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.proc == nil {
		return nil
	}
	return b.proc.Done()
}

// LogFile is PgBouncer's log.
func (b *Bouncer) LogFile() string { return filepath.Join(b.dir, logName) }

// PoolSize is the configured default_pool_size.
func (b *Bouncer) PoolSize() int {
	if b.cfg.PoolSize == 0 {
		return DefaultPoolSize
	}
	return b.cfg.PoolSize
}

// URL returns direct (a postgres:// URL of the upstream server) pointing at
// PgBouncer instead: same user, password, database and parameters.
func (b *Bouncer) URL(direct string) (string, error) {
	u, err := url.Parse(direct)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", errors.New("pgbouncer: URL: not a postgres:// URL")
	}
	u.Host = net.JoinHostPort(host, strconv.Itoa(b.Port()))
	return u.String(), nil
}

// AdminURL is the URL of the admin console (database pgbouncer) as user,
// who must be one of Config.AdminUsers. The console speaks the simple
// protocol only: use pgx.QueryExecModeSimpleProtocol.
func (b *Bouncer) AdminURL(user string) string {
	u := url.URL{Scheme: "postgres", Host: net.JoinHostPort(host, strconv.Itoa(b.Port())), Path: "/pgbouncer",
		User: url.UserPassword(user, b.cfg.Users[user]), RawQuery: "sslmode=disable&default_query_exec_mode=simple_protocol"}
	return u.String()
}
