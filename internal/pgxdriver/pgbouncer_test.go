package pgxdriver_test

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/central/central/ent"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/pgxdriver"
)

const pgbouncerBin = "/usr/sbin/pgbouncer"

// startPgBouncer runs the real PgBouncer binary in transaction pooling
// mode with ONE server connection in front of u's database, on loopback,
// and returns its client URL. As root it runs as the postgres user (it
// refuses root). The process is killed when t ends.
func startPgBouncer(t *testing.T, u string) string {
	t.Helper()
	if _, err := os.Stat(pgbouncerBin); err != nil {
		t.Fatalf("PgBouncer is not installed (%v): apt-get install pgbouncer (.ci/run installs it)", err)
	}
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := pu.User.Password()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir, err := os.MkdirTemp("", "pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ini := fmt.Sprintf(`[databases]
app = host=%s port=%s dbname=%s user=%s password=%s
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = 1
max_client_conn = 20
logfile = %s
pidfile = %s
ignore_startup_parameters = extra_float_digits
`, pu.Hostname(), pu.Port(), pu.Path[1:], pu.User.Username(), pw, port, filepath.Join(dir, "pgbouncer.log"), filepath.Join(dir, "pgbouncer.pid"))
	cfg := filepath.Join(dir, "pgbouncer.ini")
	if err := os.WriteFile(cfg, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pgbouncerBin, cfg)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if os.Geteuid() == 0 {
		pg, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		for _, p := range []string{dir, cfg} {
			if err := os.Chown(p, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	out, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); out.Close() })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "stderr"))
			lg, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
			t.Fatalf("PgBouncer did not listen on %s: %s %s", addr, b, lg)
		}
	}
	return fmt.Sprintf("postgres://%s@%s/app?sslmode=disable", pu.User.Username(), addr)
}

// TestTenantBehindPgBouncer: through a transaction-pooling PgBouncer whose
// one server connection all clients share, concurrent scoped reads of two
// tenants each see exactly their own rows, and an unscoped read sees none:
// the tenant never leaks from one client's statement to another's.
//
// Deliberate bug it catches: set_config with is_local false (session
// state): the shared server connection then carries one client's tenant
// into another's unscoped read.
func TestTenantBehindPgBouncer(t *testing.T) {
	ctx := ctxT(t)
	tdb := dbtest.New(t)
	admin := tdb.OpenAdminDB(t)
	tenants := map[entityid.TenantID]int{entityid.NewTenantID(): 3, entityid.NewTenantID(): 5}
	i := 0
	for tid, n := range tenants {
		i++
		if _, err := admin.ExecContext(ctx, "INSERT INTO tenants (id, slug, display_name, status, created_at, updated_at) VALUES ($1, $2, 'T', 'active', now(), now())", tid.UUID(), fmt.Sprintf("tenant-%d", i)); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.ExecContext(ctx, "INSERT INTO users (id, tenant_id, email, display_name, status, created_at, updated_at) SELECT gen_random_uuid(), $1, 'u' || g || '@x.example', 'U', 'active', now(), now() FROM generate_series(1, $2::int) g", tid.UUID(), n); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := pgxpool.ParseConfig(startPgBouncer(t, tdb.URL))
	if err != nil {
		t.Fatal(err)
	}
	// PgBouncer 1.18 in transaction mode keeps no prepared statement.
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	cfg.MaxConns = 6
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	client := ent.NewClient(ent.Driver(pgxdriver.New(pool)))

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 6 {
		wg.Go(func() {
			for k := range 30 {
				if (w+k)%3 == 0 {
					if n, err := client.User.Query().Count(ent.CrossTenant(ctx)); err != nil || n != 0 {
						errs <- fmt.Errorf("unscoped count through PgBouncer: %d, %v; want 0", n, err)
						return
					}
					continue
				}
				for tid, want := range tenants {
					if n, err := client.ForTenant(tid).User.Count(ctx); err != nil || n != want {
						errs <- fmt.Errorf("tenant %s through PgBouncer: %d users, %v; want %d", tid, n, err, want)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
