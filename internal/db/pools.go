package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/central/central/internal/config"
)

// ErrNotConfigured is returned by NewPools when a connection URL is empty,
// typically because the embedded server's URLs were not filled in.
var ErrNotConfigured = errors.New("db: connection URL not set")

// Pool names, used in errors, logs and the db_name label of pool metrics.
const (
	PoolReadWrite = "readwrite"
	PoolReadOnly  = "readonly"
)

// ReadWritePool is the pool on the primary as the read-write role.
//
// Pgx is the pool itself; the ent clients run on it (internal/pgxdriver).
// The embedded *sql.DB is a database/sql view of the same connections
// (stdlib.OpenDBFromPool, keeping no idle connections of its own) for code
// that needs database/sql: Atlas migrations, advisory-lock sessions, tools.
// Both count against the one size limit.
type ReadWritePool struct {
	*sql.DB
	Pgx *pgxpool.Pool
}

// ReadOnlyPool is the pool on the primary as the read-only role; every
// session has default_transaction_read_only=on. Pgx and *sql.DB share
// connections as in ReadWritePool.
type ReadOnlyPool struct {
	*sql.DB
	Pgx *pgxpool.Pool
}

// ReplicaPool is a pool on one streaming replica (read-only sessions too).
type ReplicaPool struct {
	Name string // replica-1, replica-2, ... in configuration order
	Addr string // host:port, for messages
	*sql.DB
	Pgx *pgxpool.Pool
}

// Pools holds every pool the app opens. NewPools does no I/O; Ping checks
// the primary pools and Stop drains and closes all of them.
type Pools struct {
	ReadWrite *ReadWritePool
	ReadOnly  *ReadOnlyPool
	Replicas  []ReplicaPool
	// Direct is the primary without the pooler (POSTGRES_DIRECT_URL), set
	// only behind a transaction pooler; see DirectDB.
	Direct *ReadWritePool

	// PingTimeout bounds Ping's retries (default StartPingTimeout).
	PingTimeout time.Duration

	meta   map[*pgxpool.Pool]poolMeta
	pooler config.Pooler
	tracer func(role string) pgx.QueryTracer // see WithPoolTracing
}

type poolMeta struct{ addr, database, user string }

// PingError says which pool could not reach its server, where, and what to
// check. It never contains a password.
type PingError struct {
	Pool string // readwrite, readonly or a replica name
	Addr string // host:port
	DB   string
	User string
	Err  error
}

func (e *PingError) Error() string {
	return fmt.Sprintf("db: %s pool cannot reach PostgreSQL at %s (database %q, user %q): %v; check that the server is running and reachable, and the POSTGRES_%s_* settings (host, port, user, password, sslmode)",
		e.Pool, e.Addr, e.DB, e.User, e.Err, envSide(e.Pool))
}

func (e *PingError) Unwrap() error { return e.Err }

func envSide(pool string) string {
	switch pool {
	case PoolReadWrite:
		return "READWRITE"
	case PoolReadOnly:
		return "READONLY"
	case PoolDirect:
		return "DIRECT"
	}
	return "REPLICA_URLS / POSTGRES_READONLY"
}

// NewPools opens (lazily: no connection is made) the read-write, read-only
// and replica pools described by cfg. Each pool holds at most the configured
// pool size, sets application_name, and read-only pools force
// default_transaction_read_only=on as a second guard beside the role.
func NewPools(cfg config.Postgres, opts ...PoolsOption) (*Pools, error) {
	p := &Pools{meta: map[*pgxpool.Pool]poolMeta{}, PingTimeout: StartPingTimeout, pooler: cfg.Pooler}
	for _, opt := range opts {
		opt(p)
	}
	rw, rwSQL, err := p.open(PoolReadWrite, cfg.ReadWrite, false)
	if err != nil {
		return nil, err
	}
	p.ReadWrite = &ReadWritePool{DB: rwSQL, Pgx: rw}
	ro, roSQL, err := p.open(PoolReadOnly, cfg.ReadOnly, true)
	if err != nil {
		_ = p.Close()
		return nil, err
	}
	p.ReadOnly = &ReadOnlyPool{DB: roSQL, Pgx: ro}
	for i, u := range cfg.Replicas {
		name := "replica-" + strconv.Itoa(i+1)
		conn := config.Conn{URL: u, PoolSize: cfg.ReadOnly.PoolSize, AppName: cfg.ReadOnly.AppName}
		pool, sdb, err := p.open(name, conn, true)
		if err != nil {
			_ = p.Close()
			return nil, err
		}
		p.Replicas = append(p.Replicas, ReplicaPool{Name: name, Addr: p.meta[pool].addr, DB: sdb, Pgx: pool})
	}
	if err := p.openDirect(cfg); err != nil {
		_ = p.Close()
		return nil, err
	}
	return p, nil
}

func (p *Pools) open(name string, c config.Conn, readOnly bool) (*pgxpool.Pool, *sql.DB, error) {
	if !c.URL.IsSet() {
		return nil, nil, fmt.Errorf("%w: %s pool has no URL; set POSTGRES_%s_URL, or start the embedded server and fill in config.Postgres before opening pools", ErrNotConfigured, name, envSide(name))
	}
	pc, err := PoolConfig(c, readOnly)
	if err != nil {
		return nil, nil, fmt.Errorf("db: %s pool: %w", name, err)
	}
	// The direct pool reaches PostgreSQL itself: it keeps pgx's defaults.
	if p.pooler == config.PoolerTransaction && name != PoolDirect {
		forPooler(pc)
	}
	p.traceStatements(name, pc)
	// NewWithConfig connects nothing while MinConns is 0.
	pool, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		return nil, nil, fmt.Errorf("db: %s pool: %w", name, err)
	}
	db := stdlib.OpenDBFromPool(pool)
	// The view borrows from pool and keeps no idle connection of its own; the
	// cap keeps Stats().MaxOpenConnections meaningful to its users.
	db.SetMaxOpenConns(int(pc.MaxConns))
	cc := pc.ConnConfig
	p.meta[pool] = poolMeta{addr: net.JoinHostPort(cc.Host, strconv.Itoa(int(cc.Port))), database: cc.Database, user: cc.User}
	return pool, db, nil
}

// PoolConfig parses c's URL into a pgxpool configuration with
// application_name set and, when readOnly, default_transaction_read_only=on:
// at most c.PoolSize connections (config.DefaultPoolSize when unset), idle
// ones closed after 5 minutes. Parse errors name the URL with its password
// redacted.
func PoolConfig(c config.Conn, readOnly bool) (*pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(c.URL.Reveal())
	if err != nil {
		return nil, fmt.Errorf("parse URL %s: %w", c.Redacted(), err)
	}
	applyRuntimeParams(pc.ConnConfig, c, readOnly)
	size := c.PoolSize
	if size <= 0 {
		size = config.DefaultPoolSize
	}
	pc.MaxConns = int32(size)
	pc.MinConns = 0
	pc.MaxConnIdleTime = 5 * time.Minute
	return pc, nil
}

// applyRuntimeParams sets application_name and, when readOnly,
// default_transaction_read_only=on.
func applyRuntimeParams(cc *pgx.ConnConfig, c config.Conn, readOnly bool) {
	if cc.RuntimeParams == nil {
		cc.RuntimeParams = map[string]string{}
	}
	if c.AppName != "" {
		cc.RuntimeParams["application_name"] = c.AppName
	}
	if readOnly {
		cc.RuntimeParams["default_transaction_read_only"] = "on"
	}
}

// StartPingTimeout bounds how long Ping waits for a server that is not
// reachable yet (e.g. a database container still starting).
const StartPingTimeout = 15 * time.Second

// Ping checks both primary pools (replicas are watched by the router and may
// be down at start). While a server cannot be reached it retries every 250ms
// for up to PingTimeout; an answer from the server (wrong password,
// unknown database) fails at once. The error is a *PingError naming the pool.
func (p *Pools) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, p.PingTimeout)
	defer cancel()
	targets := []namedPool{{PoolReadWrite, p.ReadWrite.Pgx, p.ReadWrite.DB}, {PoolReadOnly, p.ReadOnly.Pgx, p.ReadOnly.DB}}
	if p.Direct != nil {
		targets = append(targets, namedPool{PoolDirect, p.Direct.Pgx, p.Direct.DB})
	}
	for _, x := range targets {
		for {
			err := p.ping(ctx, x.name, x.pool)
			var pgErr *pgconn.PgError
			if err == nil {
				break
			}
			if errors.As(err, &pgErr) || ctx.Err() != nil {
				return err
			}
			select {
			case <-ctx.Done():
				return err
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	return nil
}

func (p *Pools) ping(ctx context.Context, name string, pool *pgxpool.Pool) error {
	err := pool.Ping(ctx)
	if err == nil {
		return nil
	}
	m := p.meta[pool]
	return &PingError{Pool: name, Addr: m.addr, DB: m.database, User: m.user, Err: err}
}

// all lists every pool in opening order.
func (p *Pools) all() []namedPool {
	var out []namedPool
	if p.ReadWrite != nil {
		out = append(out, namedPool{PoolReadWrite, p.ReadWrite.Pgx, p.ReadWrite.DB})
	}
	if p.ReadOnly != nil {
		out = append(out, namedPool{PoolReadOnly, p.ReadOnly.Pgx, p.ReadOnly.DB})
	}
	for _, r := range p.Replicas {
		out = append(out, namedPool{r.Name, r.Pgx, r.DB})
	}
	if p.Direct != nil {
		out = append(out, namedPool{PoolDirect, p.Direct.Pgx, p.Direct.DB})
	}
	return out
}

type namedPool struct {
	name string
	pool *pgxpool.Pool
	db   *sql.DB // database/sql view of pool
}

// DrainError reports pools that still had connections in use when the stop
// context ended; they were closed anyway.
type DrainError struct {
	InUse map[string]int // pool name → connections still in use
	Err   error          // the context's error
}

func (e *DrainError) Error() string {
	return fmt.Sprintf("db: stop: connections still in use when the stop deadline passed: %v: %v", e.InUse, e.Err)
}

func (e *DrainError) Unwrap() error { return e.Err }

// Stop lets in-flight work finish, then closes every pool in reverse order of
// opening. Stop first waits until no pool has a connection in use (a
// transaction, unread rows, a database/sql *sql.Conn) or ctx ends; then it
// closes anyway and reports what was still in use as a *DrainError.
func (p *Pools) Stop(ctx context.Context) error {
	pools := p.all()
	var drainErr error
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		busy := map[string]int{}
		for _, x := range pools {
			if n := int(x.pool.Stat().AcquiredConns()); n > 0 {
				busy[x.name] = n
			}
		}
		if len(busy) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			drainErr = &DrainError{InUse: busy, Err: ctx.Err()}
			break wait
		case <-tick.C:
		}
	}
	return errors.Join(drainErr, p.Close())
}

// Close closes every pool at once, in reverse order of opening, without
// waiting for connections in use: new work is refused at once, and a
// connection still in use is closed when its holder returns it (pgxpool's
// Close would block until then, so it finishes in the background).
func (p *Pools) Close() error {
	pools := p.all()
	var errs []error
	for i := len(pools) - 1; i >= 0; i-- {
		if err := pools[i].db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s pool: %w", pools[i].name, err))
		}
		if pool := pools[i].pool; pool.Stat().AcquiredConns() == 0 {
			pool.Close()
		} else {
			go pool.Close()
		}
	}
	return errors.Join(errs...)
}
