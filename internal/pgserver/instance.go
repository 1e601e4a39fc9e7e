package pgserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
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

// Layout of a data directory managed by this package.
const (
	pgdataName   = "pgdata"                   // the PostgreSQL cluster (PGDATA)
	socketName   = "run"                      // unix socket directory
	credsName    = "central-credentials.json" // generated passwords, mode 0600
	logName      = "postgres.log"             // server log of the current run
	lockName     = "launcher.lock"            // flock held while a launcher runs it
	passfileName = "pgpass"                   // replica only: password for the primary
)

const (
	host                 = "127.0.0.1"
	defaultStartTimeout  = 60 * time.Second
	orphanWait           = 15 * time.Second
	stopGrace            = 10 * time.Second
	readyPollInterval    = 20 * time.Millisecond
	connectTimeout       = 2 * time.Second
	freePortStartRetries = 3
)

// instance is one postmaster process on one data directory: the part shared
// by the primary Server and a Replica.
type instance struct {
	binDir  string
	dataDir string
	owner   *sysproc.Owner // nil: ourselves
	logger  *zap.Logger    // carries data_dir
	base    *zap.Logger    // as given by the caller
	creds   credentials
	// args returns postgres command-line settings besides -D/-p.
	args func() []string

	mu   sync.Mutex
	port int
	lock *os.File
	proc *sysproc.Process // the postmaster; nil when not running
}

func (i *instance) pgdata() string    { return filepath.Join(i.dataDir, pgdataName) }
func (i *instance) socketDir() string { return filepath.Join(i.dataDir, socketName) }
func (i *instance) logFile() string   { return filepath.Join(i.dataDir, logName) }

// url builds a connection URL; the password is escaped by net/url.
func (i *instance) url(role Role, database string) string {
	u := url.URL{
		Scheme:   "postgres",
		Host:     net.JoinHostPort(host, strconv.Itoa(i.Port())),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	if pw := i.creds.password(role); pw != "" {
		u.User = url.UserPassword(string(role), pw)
	} else {
		u.User = url.User(string(role))
	}
	return u.String()
}

// Port returns the TCP port (0 before the first start).
func (i *instance) Port() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.port
}

// pid returns the postmaster PID, or 0 when not running.
func (i *instance) pid() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.proc == nil {
		return 0
	}
	return i.proc.PID()
}

// running reports whether the postmaster we started is still alive.
func (i *instance) running() bool {
	i.mu.Lock()
	proc := i.proc
	i.mu.Unlock()
	if proc == nil {
		return false
	}
	select {
	case <-proc.Done():
		return false
	default:
		return true
	}
}

// acquire takes the launcher lock for the data directory, so a second
// launcher (in this or another process) fails clearly instead of racing.
func (i *instance) acquire() error {
	f, err := os.OpenFile(filepath.Join(i.dataDir, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open launcher lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return &RunningError{DataDir: i.dataDir, PID: readPID(filepath.Join(i.pgdata(), "postmaster.pid"))}
		}
		return fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	if err := i.owner.Chown(f.Name()); err != nil {
		f.Close()
		return err
	}
	i.lock = f
	return nil
}

func (i *instance) release() {
	if i.lock != nil {
		i.lock.Close() // closing drops the flock
		i.lock = nil
	}
}

// start runs the postmaster and waits until it accepts connections.
// wantPort 0 picks a free port.
func (i *instance) start(ctx context.Context, wantPort int) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultStartTimeout)
		defer cancel()
	}
	if err := i.preflight(ctx); err != nil {
		return err
	}
	if err := i.owner.Mkdir(i.socketDir()); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		port := wantPort
		if port == 0 {
			p, err := sysproc.FreePort(host)
			if err != nil {
				return err
			}
			port = p
		} else if err := checkPort(port); err != nil {
			return err
		}
		err := i.spawn(ctx, port)
		if err == nil {
			return nil
		}
		// A free port picked by us may have been taken between our probe and
		// postgres binding it: try another one.
		if wantPort == 0 && attempt < freePortStartRetries && checkPort(port) != nil {
			i.logger.Warn("picked port was taken meanwhile, retrying", zap.Int("port", port))
			continue
		}
		return err
	}
}

func (i *instance) spawn(ctx context.Context, port int) error {
	logPath := i.logFile()
	logf, err := i.owner.OpenLog(logPath)
	if err != nil {
		return fmt.Errorf("server log: %w", err)
	}
	defer logf.Close() // the child holds its own descriptor

	args := append([]string{"-D", i.pgdata(), "-p", strconv.Itoa(port)}, i.args()...)
	cmd := exec.Command(filepath.Join(i.binDir, "postgres"), args...)
	cmd.Dir = i.dataDir
	cmd.Env = i.owner.Env()
	cmd.Stdout = logf
	cmd.Stderr = logf
	// SIGINT is a fast shutdown: should we die without calling Stop, postgres
	// disconnects its clients, checkpoints and exits rather than lingering.
	cmd.SysProcAttr = i.owner.SysProcAttr(syscall.SIGINT)
	proc, err := sysproc.Start(cmd)
	if err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	i.mu.Lock()
	i.proc, i.port = proc, port
	i.mu.Unlock()

	if err := i.waitReady(ctx, proc); err != nil {
		_ = i.stop(context.Background())
		return fmt.Errorf("%w\n--- %s ---\n%s", err, logPath, sysproc.Tail(logPath, 30))
	}
	i.logger.Info("postgres started",
		zap.String("host", host), zap.Int("port", port),
		zap.Int("pid", proc.PID()), zap.String("log", logPath))
	return nil
}

// waitReady connects as the superuser until it works, the process exits or
// ctx ends.
func (i *instance) waitReady(ctx context.Context, proc *sysproc.Process) error {
	cfg, err := pgx.ParseConfig(i.url(RoleSuperuser, "postgres"))
	if err != nil {
		return fmt.Errorf("parse superuser URL: %w", err)
	}
	cfg.ConnectTimeout = connectTimeout
	return proc.WaitReady(ctx, "pgserver: postgres", readyPollInterval, func(ctx context.Context) (bool, error) {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			return true, conn.Close(ctx)
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (pgErr.Code == "28P01" || pgErr.Code == "28000") {
			return true, fmt.Errorf("pgserver: postgres rejects the stored superuser password (%s); was %s edited or the cluster replaced?: %w",
				pgErr.Code, filepath.Join(i.dataDir, credsName), err)
		}
		return false, err
	})
}

// stop asks for a fast shutdown (SIGINT) and waits for the postmaster to
// exit; postgres waits for its children first, so nothing is left behind.
// When ctx ends first it escalates to an immediate shutdown, then SIGKILL.
func (i *instance) stop(ctx context.Context) error {
	i.mu.Lock()
	proc := i.proc
	i.mu.Unlock()
	if proc == nil {
		return nil
	}
	// SIGQUIT is postgres's immediate shutdown.
	err := proc.Stop(ctx, syscall.SIGINT, syscall.SIGQUIT, stopGrace)
	if err != nil {
		err = fmt.Errorf("pgserver: fast shutdown of %s: %w; forced an immediate shutdown", i.dataDir, err)
	}
	i.mu.Lock()
	i.proc = nil
	i.mu.Unlock()
	i.logger.Info("postgres stopped", zap.Int("pid", proc.PID()))
	return err
}

// preflight deals with what a previous run may have left: a postmaster that
// still runs (error), backends orphaned by a killed postmaster (wait for them
// to notice and exit), and a postmaster.pid whose PID now belongs to an
// unrelated live process (postgres would refuse to start; we remove the file).
// A postmaster.pid with a dead PID is left to postgres, which also checks
// that no process still attaches the old shared memory.
func (i *instance) preflight(ctx context.Context) error {
	pidFile := filepath.Join(i.pgdata(), "postmaster.pid")
	pgdata, err := filepath.EvalSymlinks(i.pgdata())
	if err != nil {
		return fmt.Errorf("resolve %s: %w", i.pgdata(), err)
	}
	deadline := time.Now().Add(orphanWait)
	for {
		pid := readPID(pidFile)
		users := processesIn(pgdata)
		if pid != 0 && users[pid] {
			return &RunningError{DataDir: i.dataDir, PID: pid}
		}
		if len(users) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgserver: processes %v still work in %s although its postmaster is gone (left over from a crash?); wait for them to exit or kill them", sortedPIDs(users), pgdata)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for leftover postgres processes %v to exit: %w", sortedPIDs(users), ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if pid := readPID(pidFile); pid != 0 && alive(pid) {
		i.logger.Warn("removing stale postmaster.pid: its PID belongs to an unrelated process",
			zap.String("file", pidFile), zap.Int("pid", pid))
		if err := os.Remove(pidFile); err != nil {
			return fmt.Errorf("remove stale %s: %w", pidFile, err)
		}
	}
	return nil
}

// readPID returns the PID on the first line of a postmaster.pid, or 0.
func readPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// processesIn returns the PIDs whose working directory is dir. A postmaster
// and all its children chdir into their data directory, so this finds them
// without trusting postmaster.pid. Empty where /proc is unavailable.
func processesIn(dir string) map[int]bool {
	out := map[int]bool{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		cwd, err := os.Readlink("/proc/" + e.Name() + "/cwd")
		if err == nil && cwd == dir {
			out[pid] = true
		}
	}
	return out
}

func sortedPIDs(m map[int]bool) []int {
	pids := make([]int, 0, len(m))
	for p := range m {
		pids = append(pids, p)
	}
	sort.Ints(pids)
	return pids
}

func checkPort(port int) error {
	if err := sysproc.PortFree(host, port); err != nil {
		return &PortInUseError{Port: port, Err: err}
	}
	return nil
}

// run executes a helper binary (initdb, pg_basebackup) as the owner and
// includes its output in the error.
func (i *instance) run(ctx context.Context, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(i.binDir, name), args...)
	cmd.Dir = i.dataDir
	cmd.Env = i.owner.Env(env...)
	cmd.SysProcAttr = i.owner.SysProcAttr(syscall.SIGKILL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("run %s: %w\n%s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}
