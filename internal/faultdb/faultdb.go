// Package faultdb opens database/sql handles on a real PostgreSQL server
// whose chosen statements fail on demand, for tests of error paths no real
// server takes on demand between two successful statements (a BEGIN, a
// COMMIT or a catalog read failing while the session stays healthy).
//
// It is fault injection in front of the server, not a mock: every
// statement that is not told to fail runs on PostgreSQL through pgx's
// database/sql driver. Only tests import it.
package faultdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"regexp"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// ErrInjected is the error a Fault returns (wrapped with what failed).
var ErrInjected = errors.New("faultdb: injected failure")

// Pseudo-statements a Fault may match besides SQL text.
const (
	Connect = "CONNECT" // opening a new session
	Begin   = "BEGIN"   // database/sql's BeginTx
	Commit  = "COMMIT"  // a transaction's Commit (the transaction is rolled back)
)

// Fault makes the Nth statement matching Match fail once (N counts from 1
// across every session of the handle; 0 means 1). With After set, counting
// starts only after a statement matching After has run: "the first new
// session after the revisions were read".
type Fault struct {
	Match *regexp.Regexp
	N     int
	After *regexp.Regexp

	mu    sync.Mutex
	armed bool
	seen  int
	fired bool
}

// Fired reports whether the fault has failed its statement, so that a test
// can tell a passing error path from one never reached.
func (f *Fault) Fired() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

func (f *Fault) hit(stmt string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.After != nil && !f.armed {
		f.armed = f.After.MatchString(stmt)
		return nil
	}
	if f.fired || !f.Match.MatchString(stmt) {
		return nil
	}
	f.seen++
	if f.seen < max(f.N, 1) {
		return nil
	}
	f.fired = true
	return fmt.Errorf("%w: %.60s", ErrInjected, stmt)
}

// OpenDB opens a handle on url (a pgx connection string) with faults.
// Close it when done.
func OpenDB(url string, faults ...*Fault) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("faultdb: %w", err)
	}
	return sql.OpenDB(&connector{Connector: stdlib.GetConnector(*cfg), faults: faults}), nil
}

type connector struct {
	driver.Connector
	faults []*Fault
}

func (c *connector) fail(stmt string) error {
	for _, f := range c.faults {
		if err := f.hit(stmt); err != nil {
			return err
		}
	}
	return nil
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	if err := c.fail(Connect); err != nil {
		return nil, err
	}
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{c: dc.(*stdlib.Conn), f: c}, nil
}

// conn forwards every interface database/sql looks for, and Conn(), through
// which callers such as pglock reach the pgx session.
type conn struct {
	c *stdlib.Conn
	f *connector
}

func (c *conn) Conn() *pgx.Conn { return c.c.Conn() }
func (c *conn) Prepare(q string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), q)
}
func (c *conn) Close() error                               { return c.c.Close() }
func (c *conn) Begin() (driver.Tx, error)                  { return c.BeginTx(context.Background(), driver.TxOptions{}) }
func (c *conn) Ping(ctx context.Context) error             { return c.c.Ping(ctx) }
func (c *conn) CheckNamedValue(v *driver.NamedValue) error { return c.c.CheckNamedValue(v) }
func (c *conn) ResetSession(ctx context.Context) error     { return c.c.ResetSession(ctx) }

func (c *conn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	if err := c.f.fail(q); err != nil {
		return nil, err
	}
	return c.c.PrepareContext(ctx, q)
}

func (c *conn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	if err := c.f.fail(q); err != nil {
		return nil, err
	}
	return c.c.ExecContext(ctx, q, args)
}

func (c *conn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	if err := c.f.fail(q); err != nil {
		return nil, err
	}
	return c.c.QueryContext(ctx, q, args)
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.f.fail(Begin); err != nil {
		return nil, err
	}
	t, err := c.c.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &tx{Tx: t, f: c.f}, nil
}

type tx struct {
	driver.Tx
	f *connector
}

// Commit fails as a COMMIT the server refused: the transaction is over
// (rolled back), the session lives on.
func (t *tx) Commit() error {
	if err := t.f.fail(Commit); err != nil {
		_ = t.Tx.Rollback()
		return err
	}
	return t.Tx.Commit()
}
