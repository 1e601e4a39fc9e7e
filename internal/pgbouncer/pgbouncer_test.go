package pgbouncer_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap/zaptest"

	"github.com/central/central/internal/pgbouncer"
	"github.com/central/central/internal/pgserver"
)

// cluster is one PostgreSQL for the whole package, started by TestMain.
var cluster struct {
	srv *pgserver.Server
	dir string
}

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(m.Run()) // the launcher child of TestPgBouncerDiesWithLauncher needs no cluster
	}
	code := func() int {
		dir, err := os.MkdirTemp("", "pgbouncer-test-")
		if err != nil {
			panic(err)
		}
		defer os.RemoveAll(dir)
		if err := os.Chmod(dir, 0o755); err != nil {
			panic(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		srv, err := pgserver.Start(ctx, pgserver.Config{DataDir: filepath.Join(dir, "pg"), Ephemeral: true})
		if err != nil {
			panic(err)
		}
		defer srv.Stop(context.Background())
		cluster.srv, cluster.dir = srv, dir
		return m.Run()
	}()
	os.Exit(code)
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func users() map[string]string {
	s := cluster.srv
	return map[string]string{
		string(pgserver.RoleSuperuser): s.Password(pgserver.RoleSuperuser),
		string(pgserver.RoleReadWrite): s.Password(pgserver.RoleReadWrite),
		string(pgserver.RoleReadOnly):  s.Password(pgserver.RoleReadOnly),
	}
}

// start runs a bouncer for t in a directory the postgres user can reach.
func start(t *testing.T, mod func(*pgbouncer.Config)) *pgbouncer.Bouncer {
	t.Helper()
	dir, err := os.MkdirTemp(cluster.dir, "bouncer-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := pgbouncer.Config{
		DataDir:      filepath.Join(dir, "b"),
		UpstreamPort: cluster.srv.Port(),
		Users:        users(),
		AdminUsers:   []string{string(pgserver.RoleSuperuser)},
		Logger:       zaptest.NewLogger(t),
	}
	if mod != nil {
		mod(&cfg)
	}
	b, err := pgbouncer.Start(ctxT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return b
}

func pooledURL(t testing.TB, b *pgbouncer.Bouncer, role pgserver.Role) string {
	t.Helper()
	u, err := b.URL(cluster.srv.URL(role, pgserver.Database))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestTransactionPooling: 8 clients share the 2 server connections of the
// (database, user) pair, and consecutive transactions of one client may run
// on different server sessions (what makes session state unsafe).
func TestTransactionPooling(t *testing.T) {
	b := start(t, nil)
	ctx := ctxT(t)
	cfg, err := pgxpool.ParseConfig(pooledURL(t, b, pgserver.RoleReadWrite))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 8
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	var mu sync.Mutex
	backends := map[int32]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				var pid int32
				// pg_sleep keeps transactions overlapping, so all 8 clients
				// compete for the server connections.
				if err := pool.QueryRow(ctx, "SELECT pg_backend_pid() FROM pg_sleep(0.002)").Scan(&pid); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				backends[pid] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(backends) == 0 || len(backends) > pgbouncer.DefaultPoolSize {
		t.Fatalf("8 clients used %d server backends, want 1..%d (default_pool_size)", len(backends), pgbouncer.DefaultPoolSize)
	}
	if pool.Stat().TotalConns() < 2 {
		t.Fatalf("the client pool opened %d connections; the test needs several clients", pool.Stat().TotalConns())
	}

	admin, err := pgx.Connect(ctx, b.AdminURL(string(pgserver.RoleSuperuser)))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var mode string
	rows, err := admin.Query(ctx, "SHOW CONFIG")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		if vals[0] == "pool_mode" {
			mode, _ = vals[1].(string)
		}
	}
	if rows.Err() != nil || mode != "transaction" {
		t.Fatalf("pool_mode = %q (err %v), want transaction", mode, rows.Err())
	}
}

// TestRefusesUntrackedStartupParameter reproduces the production failure
// that made the app fail to start behind a stock PgBouncer.
func TestRefusesUntrackedStartupParameter(t *testing.T) {
	b := start(t, nil)
	cfg, err := pgx.ParseConfig(pooledURL(t, b, pgserver.RoleReadOnly))
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	_, err = pgx.ConnectConfig(ctxT(t), cfg)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "08P01" || !strings.Contains(pgErr.Message, "unsupported startup parameter") {
		t.Fatalf("connect with default_transaction_read_only: %v, want 08P01 unsupported startup parameter", err)
	}
	// application_name is one of the parameters PgBouncer tracks: allowed.
	cfg.RuntimeParams = map[string]string{"application_name": "probe"}
	conn, err := pgx.ConnectConfig(ctxT(t), cfg)
	if err != nil {
		t.Fatalf("connect with application_name: %v", err)
	}
	conn.Close(context.Background())
}

func TestAuthentication(t *testing.T) {
	b := start(t, nil)
	tests := []struct {
		name    string
		url     string
		wantErr bool
	}{
		{"right password", pooledURL(t, b, pgserver.RoleReadWrite), false},
		{"wrong password", strings.Replace(pooledURL(t, b, pgserver.RoleReadWrite), cluster.srv.Password(pgserver.RoleReadWrite), "wrong", 1), true},
		{"unknown user", "postgres://nobody:x@127.0.0.1:" + itoa(b.Port()) + "/central?sslmode=disable", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := pgx.Connect(ctxT(t), tt.url)
			if err == nil {
				conn.Close(context.Background())
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("connect: %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestStopLeavesNothing: Stop ends the process, closes the clients, and a
// second Stop is a no-op.
func TestStopLeavesNothing(t *testing.T) {
	b := start(t, nil)
	conn, err := pgx.Connect(ctxT(t), pooledURL(t, b, pgserver.RoleReadWrite))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	pid := b.PID()
	if err := b.Stop(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.Done():
	default:
		t.Fatal("Done not closed after Stop")
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("pgbouncer (PID %d) still runs after Stop", pid)
	}
	if err := conn.Ping(ctxT(t)); err == nil {
		t.Fatal("client connection still works after Stop")
	}
	if err := b.Stop(ctxT(t)); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

func TestInvalidConfig(t *testing.T) {
	ok := func() pgbouncer.Config {
		return pgbouncer.Config{DataDir: t.TempDir(), UpstreamPort: 5432, Users: map[string]string{"u": "p"}}
	}
	tests := []struct {
		name string
		mod  func(*pgbouncer.Config)
		want string
	}{
		{"no data dir", func(c *pgbouncer.Config) { c.DataDir = "" }, "DataDir is empty"},
		{"no upstream port", func(c *pgbouncer.Config) { c.UpstreamPort = 0 }, "UpstreamPort 0"},
		{"no users", func(c *pgbouncer.Config) { c.Users = nil }, "Users is empty"},
		{"NUL in password", func(c *pgbouncer.Config) { c.Users["u"] = "a\x00b" }, "control character"},
		{"newline in user", func(c *pgbouncer.Config) { c.Users["a\nb"] = "p" }, "control characters"},
		{"host injection", func(c *pgbouncer.Config) { c.UpstreamHost = "h port=1" }, "not a host"},
		{"admin not a user", func(c *pgbouncer.Config) { c.AdminUsers = []string{"x"} }, "not in Config.Users"},
		{"setting injection", func(c *pgbouncer.Config) { c.Settings = map[string]string{"a": "1\n[databases]"} }, "single lines"},
		{"binary missing", func(c *pgbouncer.Config) { c.Binary = "/nonexistent/pgbouncer" }, "apt-get install pgbouncer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok()
			tt.mod(&c)
			_, err := pgbouncer.Start(ctxT(t), c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestFindBinary(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if _, err := pgbouncer.FindBinary(env(map[string]string{"PGBOUNCER_BIN": "/nonexistent"})); !errors.Is(err, pgbouncer.ErrBinaryNotFound) {
		t.Fatalf("bad PGBOUNCER_BIN: %v, want ErrBinaryNotFound", err)
	}
	p, err := pgbouncer.FindBinary(env(map[string]string{"PATH": ""}))
	if err != nil {
		t.Fatalf("FindBinary with an empty PATH (Debian installs into /usr/sbin): %v", err)
	}
	if filepath.Base(p) != "pgbouncer" {
		t.Fatalf("FindBinary = %s", p)
	}
}

// TestTakenPort: a port that is already taken makes Start fail with
// PgBouncer's own reason, and nothing keeps running.
func TestTakenPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	dir, err := os.MkdirTemp(cluster.dir, "taken-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	_, err = pgbouncer.Start(ctxT(t), pgbouncer.Config{
		DataDir: filepath.Join(dir, "b"), UpstreamPort: cluster.srv.Port(), Users: users(), Port: port,
	})
	if err == nil || !strings.Contains(err.Error(), "exited during startup") || !strings.Contains(err.Error(), "pgbouncer.log") {
		t.Fatalf("Start on a taken port: %v, want an exit during startup with the log's tail", err)
	}
}
