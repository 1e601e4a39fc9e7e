package dbtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"go.uber.org/zap"

	"github.com/central/central/internal/pgbouncer"
	"github.com/central/central/internal/pgserver"
)

// Pooled is a per-test database reachable directly and through a real
// PgBouncer in transaction mode (internal/pgbouncer) with a small server
// pool: Bouncer.PoolSize() server connections per (database, user) pair,
// pgbouncer.DefaultPoolSize (2) unless NewPooledSize says otherwise.
type Pooled struct {
	// DB holds the direct URLs (URL, ReadOnlyURL, AdminURL): what the app
	// calls POSTGRES_DIRECT_URL is DB.URL.
	*DB
	// PooledURL connects through PgBouncer as the owner role (central).
	PooledURL string
	// PooledReadOnlyURL connects through PgBouncer as central_ro.
	PooledReadOnlyURL string
	// PooledAdminURL connects through PgBouncer as the superuser.
	PooledAdminURL string
	// Bouncer is the PgBouncer; its admin console accepts the superuser.
	Bouncer *pgbouncer.Bouncer
	// Server is the PostgreSQL cluster behind it.
	Server *pgserver.Server
}

// NewPooled returns a fresh database on an embedded cluster shared by the
// test binary, behind a PgBouncer in transaction mode also shared by the
// test binary (pools are per database, so tests do not share server
// connections). Like pairs, pooled databases are always embedded: PgBouncer
// needs the roles' passwords.
func NewPooled(t testing.TB, opts ...Option) *Pooled {
	t.Helper()
	env, err := shared.pooled()
	if err != nil {
		t.Fatal(err)
	}
	return env.newPooled(t, env.bouncer, opts)
}

// NewPooledSize is NewPooled behind a PgBouncer of its own with poolSize
// server connections per (database, user) pair, stopped when t ends (e.g. 1
// to make every client share one server session).
func NewPooledSize(t testing.TB, poolSize int, opts ...Option) *Pooled {
	t.Helper()
	env, err := shared.pooled()
	if err != nil {
		t.Fatal(err)
	}
	return env.newPooled(t, NewBouncer(t, env.srv, poolSize), opts)
}

// NewBouncer starts a PgBouncer in transaction mode in front of srv (any
// embedded server: a pair's primary, say) for t alone, knowing srv's three
// roles, with poolSize server connections per (database, user) pair (0:
// pgbouncer.DefaultPoolSize). It is stopped and its directory removed when t
// ends.
func NewBouncer(t testing.TB, srv *pgserver.Server, poolSize int) *pgbouncer.Bouncer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	dir, err := newTempDir(false)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	b, err := startBouncer(ctx, srv, dir, poolSize)
	if err != nil {
		os.RemoveAll(dir)
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Stop(context.Background()); err != nil {
			t.Errorf("dbtest: %v", err)
		}
		os.RemoveAll(dir)
	})
	return b
}

type pooledEnv struct {
	srv     *pgserver.Server
	harness *Harness
	bouncer *pgbouncer.Bouncer
	close   func(context.Context) error
}

// startPooled starts an embedded cluster as StartEmbeddedWith does (o
// carries DBTEST_DURABLE) and a PgBouncer beside it.
func startPooled(ctx context.Context, logger *zap.Logger, o EmbeddedOptions) (*pooledEnv, error) {
	h, err := StartEmbeddedWith(ctx, logger, o)
	if err != nil {
		return nil, err
	}
	b, err := startBouncer(ctx, h.server, h.dir, 0)
	if err != nil {
		return nil, errors.Join(err, h.Close(context.Background()))
	}
	return &pooledEnv{srv: h.server, harness: h, bouncer: b, close: func(ctx context.Context) error {
		return errors.Join(b.Stop(ctx), h.Close(ctx))
	}}, nil
}

// startBouncer runs a PgBouncer in dir/pgbouncer in front of srv, knowing
// its three roles; the superuser may use the admin console.
func startBouncer(ctx context.Context, srv *pgserver.Server, dir string, poolSize int) (*pgbouncer.Bouncer, error) {
	users := map[string]string{}
	for _, r := range []pgserver.Role{pgserver.RoleSuperuser, pgserver.RoleReadWrite, pgserver.RoleReadOnly} {
		users[string(r)] = srv.Password(r)
	}
	b, err := pgbouncer.Start(ctx, pgbouncer.Config{
		DataDir:      filepath.Join(dir, "pgbouncer"),
		UpstreamHost: srv.Host(),
		UpstreamPort: srv.Port(),
		Users:        users,
		AdminUsers:   []string{string(pgserver.RoleSuperuser)},
		PoolSize:     poolSize,
		// Every test database is its own pool; a test binary may run many.
		MaxClientConn: 1000,
	})
	if err != nil {
		return nil, fmt.Errorf("start pgbouncer: %w", err)
	}
	return b, nil
}

func (env *pooledEnv) newPooled(t testing.TB, b *pgbouncer.Bouncer, opts []Option) *Pooled {
	t.Helper()
	db := env.harness.New(t, opts...)
	p := &Pooled{DB: db, Bouncer: b, Server: env.srv}
	for dst, src := range map[*string]string{&p.PooledURL: db.URL, &p.PooledReadOnlyURL: db.ReadOnlyURL, &p.PooledAdminURL: db.AdminURL} {
		u, err := b.URL(src)
		if err != nil {
			t.Fatalf("dbtest: %v", err)
		}
		*dst = u
	}
	return p
}

// trackedParams are the settings PgBouncer itself keeps per client and
// re-applies on whichever server connection a client gets: a SET of them
// does not leak between clients.
var trackedParams = []string{"application_name", "client_encoding", "DateStyle", "TimeZone", "standard_conforming_strings"}

// sessionStateQuery lists the state a server session keeps beyond a
// transaction, one description per row: settings changed with SET (not
// LOCAL), prepared statements, advisory locks, LISTEN channels, temporary
// tables and WITH HOLD cursors.
const sessionStateQuery = `
SELECT 'setting ' || name || ' = ' || setting FROM pg_settings
  WHERE source = 'session' AND name <> ALL ($1::text[])
UNION ALL SELECT 'prepared statement ' || name || ': ' || left(statement, 80) FROM pg_prepared_statements
UNION ALL SELECT 'advisory lock ' || classid || '/' || objid || ' (' || mode || ')' FROM pg_locks
  WHERE locktype = 'advisory' AND pid = pg_backend_pid()
UNION ALL SELECT 'LISTEN ' || c FROM pg_listening_channels() c
UNION ALL SELECT 'temporary table ' || relname FROM pg_class
  WHERE relpersistence = 't' AND relnamespace = pg_my_temp_schema()
UNION ALL SELECT 'cursor ' || name FROM pg_cursors WHERE is_holdable`

// SessionState reports the session state left on the server connections of
// pooledURL's (database, user) pool in PgBouncer: it opens poolSize clients
// through PgBouncer at once, each inside a transaction so each holds a
// different server connection, and asks each session what it carries
// (settings SET without LOCAL, prepared statements, advisory locks, LISTEN,
// temporary tables, WITH HOLD cursors). Each finding is prefixed with the
// server's backend PID. Empty means nothing leaks from one client's
// transaction into another's. The probe itself uses the simple protocol and
// leaves nothing behind.
func SessionState(ctx context.Context, pooledURL string, poolSize int) ([]string, error) {
	type result struct {
		pid   int32
		found []string
		err   error
	}
	results := make(chan result, poolSize)
	release := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(release)
	for range poolSize {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, conn, tx := result{}, (*pgx.Conn)(nil), pgx.Tx(nil)
			r.err = func() (err error) {
				if conn, err = pgxConnectSimple(ctx, pooledURL); err != nil {
					return err
				}
				if tx, err = conn.Begin(ctx); err != nil {
					return err
				}
				if err := tx.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&r.pid); err != nil {
					return err
				}
				rows, err := tx.Query(ctx, sessionStateQuery, trackedParams)
				if err != nil {
					return err
				}
				r.found, err = pgx.CollectRows(rows, pgx.RowTo[string])
				return err
			}()
			results <- r
			// Hold the transaction, and so the server connection, until
			// every probe has reported: otherwise two probes could share a
			// session and another session go unseen.
			<-release
			if conn != nil {
				if tx != nil {
					_ = tx.Rollback(context.Background())
				}
				_ = conn.Close(context.Background())
			}
		}()
	}
	var out []string
	var errs []error
	seen := map[int32]bool{}
	for range poolSize {
		var r result
		select {
		case r = <-results:
		case <-ctx.Done():
			return out, fmt.Errorf("dbtest: session state probe: %w", ctx.Err())
		}
		if r.err != nil {
			errs = append(errs, fmt.Errorf("dbtest: session state probe: %w", r.err))
			continue
		}
		if seen[r.pid] {
			errs = append(errs, fmt.Errorf("dbtest: two probes ran on backend %d: the pool has fewer than %d server connections", r.pid, poolSize))
		}
		seen[r.pid] = true
		for _, f := range r.found {
			out = append(out, fmt.Sprintf("backend %d: %s", r.pid, f))
		}
	}
	return out, errors.Join(errs...)
}

// pgxConnectSimple connects with the simple protocol, which creates no
// prepared statement, not even the unnamed one.
func pgxConnectSimple(ctx context.Context, url string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", redact(url), err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	return pgx.ConnectConfig(ctx, cfg)
}
