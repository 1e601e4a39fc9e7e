package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"go.uber.org/zap"

	"github.com/central/central/internal/pgserver"
)

// Role names used on every server, embedded or not (the same as pgserver's).
const (
	roleReadWrite = string(pgserver.RoleReadWrite)
	roleReadOnly  = string(pgserver.RoleReadOnly)
)

// templateLockKey serializes role and template creation across every test
// binary using the same server (pg_advisory_lock is server-wide per database).
const templateLockKey int64 = 0x63656e7472616c // "central"

// setupTimeout bounds template creation and database cloning.
const setupTimeout = 2 * time.Minute

// ApplyFunc migrates the database behind db with the files in fsys.
type ApplyFunc func(ctx context.Context, db *sql.DB, fsys fs.FS) error

// Harness creates per-test databases on one PostgreSQL server. Most tests use
// the package-level New, which shares one Harness per test binary.
type Harness struct {
	admin   *pgxpool.Pool // superuser on the admin database
	urls    urlMaker
	version int // server_version_num
	// strategy of CREATE DATABASE on PostgreSQL 15+: WAL_LOG (the default)
	// on servers that fsync, where FILE_COPY's two checkpoints cost ~200 ms;
	// FILE_COPY on embedded clusters, whose fsync is off.
	strategy string
	close    func(ctx context.Context) error

	mu        sync.Mutex
	templates map[string]func() error // by template name

	migrations atomic.Int64 // template migrations run by this Harness

	// keepFailed keeps a failed test's database instead of dropping it
	// (DBTEST_KEEP_FAILED=1); embedded says the server ends with the binary.
	keepFailed bool
	embedded   bool
	// server and dir are the embedded cluster and its directory (nil and ""
	// on an external server): a pooled env puts its PgBouncer beside it.
	server *pgserver.Server
	dir    string
	// durability is the server's fsync settings, stated by benchmarks.
	durability Durability
}

// KeepFailedEnv is the environment variable that, set to 1, keeps the
// database of each failed test and logs its URL, so the failure can be
// inspected with psql.
const KeepFailedEnv = "DBTEST_KEEP_FAILED"

// urlMaker builds connection URLs for a database.
type urlMaker interface {
	url(role, database string) string
}

// externalURLs derives role URLs from a superuser URL: same host, port and
// parameters; roles without passwords (the server must trust them).
type externalURLs struct{ admin *url.URL }

func (e externalURLs) url(role, database string) string {
	u := *e.admin
	if role != "" {
		u.User = url.User(role)
	}
	u.Path = "/" + database
	u.RawPath = ""
	return u.String()
}

// embeddedURLs uses the passwords of a pgserver cluster; role "" is the superuser.
type embeddedURLs struct{ srv *pgserver.Server }

func (e embeddedURLs) url(role, database string) string {
	if role == "" {
		role = string(pgserver.RoleSuperuser)
	}
	return e.srv.URL(pgserver.Role(role), database)
}

// Connect returns a Harness on an existing server reached through adminURL,
// a superuser URL such as postgres://postgres@127.0.0.1:5432/postgres (what
// TEST_DATABASE_URL holds). It creates the roles central (read-write, owner
// of every test database) and central_ro (pg_read_all_data,
// default_transaction_read_only) when missing, without passwords: the server
// must let them log in (trust), as the one used by CI does.
func Connect(ctx context.Context, adminURL string) (*Harness, error) {
	u, err := url.Parse(adminURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("dbtest: admin URL %q is not a postgres:// URL (err: %v); set TEST_DATABASE_URL like postgres://postgres@127.0.0.1:5432/postgres", redact(adminURL), err)
	}
	h, err := newHarness(ctx, adminURL, externalURLs{admin: u})
	if err != nil {
		return nil, err
	}
	if err := h.ensureRoles(ctx); err != nil {
		h.admin.Close()
		return nil, err
	}
	h.dropAbandoned(ctx)
	return h, nil
}

// abandonedAfter is how long a test database may sit untouched before a
// later Connect drops it as left over by a killed test binary.
const abandonedAfter = 24 * time.Hour

// dropAbandoned drops test databases (names from dbName) nobody is connected
// to and whose directory has not changed for abandonedAfter: left by test
// binaries killed before their cleanup ran. Best effort: errors are ignored,
// the next Connect tries again.
func (h *Harness) dropAbandoned(ctx context.Context) {
	rows, err := h.admin.Query(ctx, `
		SELECT d.datname FROM pg_database d
		WHERE d.datname ~ '^t_[a-z0-9_]*_[0-9a-f]{10}$'
		  AND NOT d.datistemplate
		  AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datid = d.oid)
		  AND (pg_stat_file('base/' || d.oid, true)).modification < now() - make_interval(secs => $1)`,
		abandonedAfter.Seconds())
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, name := range names {
		_, _ = h.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)")
	}
}

func newHarness(ctx context.Context, adminURL string, urls urlMaker) (*Harness, error) {
	cfg, err := pgxpool.ParseConfig(adminURL)
	if err != nil {
		return nil, fmt.Errorf("dbtest: parse admin URL %s: %w", redact(adminURL), err)
	}
	cfg.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open admin pool: %w", err)
	}
	h := &Harness{admin: pool, urls: urls, strategy: "WAL_LOG", templates: map[string]func() error{}}
	var super bool
	if err := pool.QueryRow(ctx, "SELECT current_setting('server_version_num')::int, rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&h.version, &super); err != nil {
		pool.Close()
		return nil, fmt.Errorf("dbtest: connect to %s: %w", redact(adminURL), err)
	}
	if !super {
		pool.Close()
		return nil, fmt.Errorf("dbtest: %s does not log in as a superuser; the harness needs one to create roles and databases", redact(adminURL))
	}
	if h.durability, err = queryDurability(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	h.close = func(context.Context) error { pool.Close(); return nil }
	return h, nil
}

// StartEmbedded starts a throwaway cluster in a new temporary directory and
// returns a Harness on it. Close stops the cluster and removes the directory.
// The cluster does not fsync (pgserver.Config.Ephemeral); see
// StartEmbeddedWith for a durable one.
func StartEmbedded(ctx context.Context, logger *zap.Logger) (*Harness, error) {
	return StartEmbeddedWith(ctx, logger, EmbeddedOptions{})
}

// EmbeddedOptions configures StartEmbeddedWith.
type EmbeddedOptions struct {
	// Durable keeps PostgreSQL's crash-safe defaults (fsync,
	// full_page_writes and synchronous_commit on) instead of the test
	// shortcuts, and puts the cluster on disk rather than tmpfs (where
	// fsync does nothing): for benchmarks whose figures must hold in
	// production.
	Durable bool
	// Settings are extra server settings (-c name=value), applied last.
	Settings map[string]string
}

// StartEmbeddedWith is StartEmbedded with options.
func StartEmbeddedWith(ctx context.Context, logger *zap.Logger, o EmbeddedOptions) (*Harness, error) {
	dir, err := newTempDir(o.Durable)
	if err != nil {
		return nil, err
	}
	settings := embeddedSettings(o.Durable)
	maps.Copy(settings, o.Settings)
	srv, err := pgserver.Start(ctx, pgserver.Config{
		DataDir:   filepath.Join(dir, "primary"),
		Ephemeral: !o.Durable,
		Logger:    logger,
		Settings:  settings,
	})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start embedded postgres: %w", err)
	}
	h, err := newHarness(ctx, srv.URL(pgserver.RoleSuperuser, "postgres"), embeddedURLs{srv: srv})
	if err != nil {
		_ = srv.Stop(context.Background())
		os.RemoveAll(dir)
		return nil, err
	}
	if !o.Durable {
		h.strategy = "FILE_COPY"
	}
	h.embedded, h.server, h.dir = true, srv, dir
	h.durability.Tmpfs = onTmpfs(dir)
	h.close = func(ctx context.Context) error {
		h.admin.Close()
		err := srv.Stop(ctx)
		if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
			err = fmt.Errorf("remove %s: %w", dir, rerr)
		}
		return err
	}
	return h, nil
}

// clusterSettings tune embedded clusters for many small parallel tests.
var clusterSettings = map[string]string{
	"max_connections": "300",
}

// Close drops nothing (each test drops its own database) but releases the
// admin connections and, for embedded clusters, stops them.
func (h *Harness) Close(ctx context.Context) error { return h.close(ctx) }

// AdminURL is the superuser URL for database.
func (h *Harness) AdminURL(database string) string { return h.urls.url("", database) }

// ensureRoles creates the two roles on an external server when missing, and
// marks jsonb @> leakproof in its template1.
func (h *Harness) ensureRoles(ctx context.Context) error {
	conn, err := h.admin.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire admin connection: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", templateLockKey); err != nil {
		return fmt.Errorf("take dbtest lock: %w", err)
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", templateLockKey)
	for _, r := range []struct{ name, attrs string }{{roleReadWrite, "LOGIN CREATEDB"}, {roleReadOnly, "LOGIN"}} {
		_, err := conn.Exec(ctx, "CREATE ROLE "+ident(r.name)+" "+r.attrs)
		var pgErr *pgconn.PgError
		if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "42710") { // duplicate_object: exists
			return fmt.Errorf("create role %s: %w", r.name, err)
		}
	}
	for _, sql := range []string{
		"GRANT pg_read_all_data TO " + ident(roleReadOnly),
		"ALTER ROLE " + ident(roleReadOnly) + " SET default_transaction_read_only = on",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("configure role %s: %w", roleReadOnly, err)
		}
	}
	// Under the lock: CREATE DATABASE (createTemplate, from template1)
	// refuses while this connection to template1 is open.
	return h.markLeakproof(ctx, "template1")
}

// markLeakproof marks jsonb @> leakproof as the superuser in database
// (pg_proc is per database), as internal/pgserver does in template1 and the
// app database.
func (h *Harness) markLeakproof(ctx context.Context, database string) error {
	if _, err := pgserver.MarkLeakproof(ctx, h.urls.url("", database)); err != nil {
		return fmt.Errorf("dbtest: %w", err)
	}
	return nil
}

// templateName is central_tmpl_<first 12 hex digits of the migrations hash>.
func templateName(fsys fs.FS) (string, error) {
	h := sha256.New()
	h.Write([]byte("dbtest template v2\x00")) // v2: jsonb @> marked leakproof
	if fsys != nil {
		var files []string
		err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("list migrations: %w", err)
		}
		sort.Strings(files)
		for _, f := range files {
			b, err := fs.ReadFile(fsys, f)
			if err != nil {
				return "", fmt.Errorf("read migration %s: %w", f, err)
			}
			fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
			h.Write(b)
		}
	}
	return "central_tmpl_" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

// template returns the name of a migrated template database for o, creating
// it once per Harness (and once per server, across processes).
func (h *Harness) template(ctx context.Context, o options) (string, error) {
	name, err := templateName(o.fsys)
	if err != nil {
		return "", err
	}
	h.mu.Lock()
	once, ok := h.templates[name]
	if !ok {
		once = sync.OnceValue(func() error {
			ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
			defer cancel()
			return h.createTemplate(ctx, name, o)
		})
		h.templates[name] = once
	}
	h.mu.Unlock()
	if err := once(); err != nil {
		return "", err
	}
	return name, nil
}

// createTemplate makes the template under a server-wide advisory lock. A
// template counts as done only once marked IS_TEMPLATE, which happens after
// its migration succeeded; a leftover unmarked one is dropped and redone.
func (h *Harness) createTemplate(ctx context.Context, name string, o options) error {
	conn, err := h.admin.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire admin connection: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", templateLockKey); err != nil {
		return fmt.Errorf("take dbtest lock: %w", err)
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", templateLockKey)

	var isTemplate *bool
	err = conn.QueryRow(ctx, "SELECT datistemplate FROM pg_database WHERE datname = $1", name).Scan(&isTemplate)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("look up template %s: %w", name, err)
	}
	if isTemplate != nil && *isTemplate {
		return nil
	}
	if isTemplate != nil {
		if _, err := conn.Exec(ctx, "DROP DATABASE "+ident(name)+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop unfinished template %s: %w", name, err)
		}
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident(name)+" OWNER "+ident(roleReadWrite)); err != nil {
		return fmt.Errorf("create template %s: %w", name, err)
	}
	// Whatever template1 holds, every clone carries the mark.
	if err := h.markLeakproof(ctx, name); err != nil {
		_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)")
		return err
	}
	if o.apply != nil {
		h.migrations.Add(1)
		if err := h.migrate(ctx, name, o); err != nil {
			_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)")
			return fmt.Errorf("dbtest: migrate template %s: %w", name, err)
		}
	}
	// No connections allowed: cloning needs a template nobody is connected to.
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident(name)+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"); err != nil {
		return fmt.Errorf("mark template %s: %w", name, err)
	}
	return nil
}

// migrate applies the migrations as the owner role, so every object belongs
// to it in each clone.
func (h *Harness) migrate(ctx context.Context, name string, o options) error {
	db, err := openDB(h.urls.url(roleReadWrite, name))
	if err != nil {
		return err
	}
	defer db.Close()
	return o.apply(ctx, db, o.fsys)
}

func openDB(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", redact(dsn), err)
	}
	return stdlib.OpenDB(*cfg), nil
}

// create clones the template into a new database for t and drops it at
// cleanup.
func (h *Harness) create(t cleanupT, o options) (*DB, error) {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	tmpl, err := h.template(ctx, o)
	if err != nil {
		return nil, err
	}
	name, err := dbName(t.Name())
	if err != nil {
		return nil, err
	}
	sql := "CREATE DATABASE " + ident(name) + " TEMPLATE " + ident(tmpl) + " OWNER " + ident(roleReadWrite)
	if h.version >= 150000 {
		sql += " STRATEGY " + h.strategy
	}
	if _, err := h.admin.Exec(ctx, sql); err != nil {
		return nil, fmt.Errorf("create database %s from %s: %w", name, tmpl, err)
	}
	t.Cleanup(func() {
		if h.keepFailed && t.Failed() {
			note := "it stays until dropped (a later run drops it after a day untouched)"
			if h.embedded {
				note = "the embedded cluster stops when this test binary exits: to inspect it afterwards, run the tests with TEST_DATABASE_URL pointing at a server of your own"
			}
			t.Logf("dbtest: %s=1: kept the failed test's database %s: psql '%s' (%s)", KeepFailedEnv, name, h.urls.url(roleReadWrite, name), note)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		if _, err := h.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	return &DB{
		Name:        name,
		URL:         h.urls.url(roleReadWrite, name),
		ReadOnlyURL: h.urls.url(roleReadOnly, name),
		AdminURL:    h.urls.url("", name),
	}, nil
}

// cleanupT is the part of testing.TB the harness needs.
type cleanupT interface {
	Name() string
	Cleanup(func())
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
	Failed() bool
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9]+`)

// dbName is t_<test name, sanitized and cut>_<random>; at most 63 bytes.
func dbName(testName string) (string, error) {
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random database name: %w", err)
	}
	base := strings.Trim(unsafeChars.ReplaceAllString(strings.ToLower(testName), "_"), "_")
	if len(base) > 40 {
		base = base[:40]
	}
	return "t_" + base + "_" + hex.EncodeToString(b), nil
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }

// redact hides the password of a URL for error messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// newTempDir makes a directory the postgres user can traverse (when we run
// as root), after removing those left by test binaries that were killed.
func newTempDir(durable bool) (string, error) {
	base := tempBase()
	if durable {
		base = os.TempDir() // fsync on tmpfs does nothing
	}
	removeStaleDirs(base)
	dir, err := os.MkdirTemp(base, tempPrefix)
	if err != nil {
		return "", fmt.Errorf("create cluster directory: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", fmt.Errorf("chmod %s: %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return "", fmt.Errorf("write %s: %w", ownerFile, err)
	}
	return dir, nil
}

// tempBase is where clusters go: /dev/shm when it is a roomy tmpfs (cloning
// a database there takes ~12 ms instead of ~80 ms on this project's CI
// disk), else the usual temporary directory.
func tempBase() string {
	const shm = "/dev/shm"
	var st syscall.Statfs_t
	if err := syscall.Statfs(shm, &st); err != nil || st.Bavail*uint64(st.Bsize) < minShmFree {
		return os.TempDir()
	}
	if err := syscall.Access(shm, 0o2|0o1); err != nil { // W_OK|X_OK
		return os.TempDir()
	}
	return shm
}

// minShmFree is the free space /dev/shm needs to be used (Docker's default
// of 64 MiB is too small for a cluster plus its test databases).
const minShmFree = 2 << 30

const (
	tempPrefix = "central-dbtest-"
	ownerFile  = "owner.pid"
)

// removeStaleDirs deletes cluster directories whose test binary is gone
// (killed before dbtest.Main could clean up). Their postgres got SIGINT from
// the kernel when the binary died.
func removeStaleDirs(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, tempPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(string(b))
		if err != nil || pid <= 0 || processAlive(pid) || busy(dir) {
			continue
		}
		os.RemoveAll(dir)
	}
}
