package pglock_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/pglock"
)

// faultConnector hands out real pgx sessions on a real server, except that
// the statement whose text starts with failOn (or BEGIN / COMMIT, named as
// such) fails once with errInjected while the session stays healthy: the
// statement-level failure no real server gives on demand between two
// successful statements. It is fault injection in front of PostgreSQL,
// not a mock: everything else runs on the server.
type faultConnector struct {
	driver.Connector
	mu     sync.Mutex
	failOn string // "" once it has failed
}

var errInjected = errors.New("injected failure")

func (f *faultConnector) fail(stmt string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failOn != "" && strings.HasPrefix(stmt, f.failOn) {
		f.failOn = ""
		return errInjected
	}
	return nil
}

func (f *faultConnector) Connect(ctx context.Context) (driver.Conn, error) {
	c, err := f.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &faultConn{c: c.(*stdlib.Conn), f: f}, nil
}

// faultConn forwards every interface database/sql and pglock look for
// (Conn() is how pglock closes a pgx session it discards).
type faultConn struct {
	c *stdlib.Conn
	f *faultConnector
}

func (c *faultConn) Conn() *pgx.Conn                       { return c.c.Conn() }
func (c *faultConn) Prepare(q string) (driver.Stmt, error) { return c.c.Prepare(q) }
func (c *faultConn) Close() error                          { return c.c.Close() }
func (c *faultConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}
func (c *faultConn) Ping(ctx context.Context) error             { return c.c.Ping(ctx) }
func (c *faultConn) CheckNamedValue(v *driver.NamedValue) error { return c.c.CheckNamedValue(v) }
func (c *faultConn) ResetSession(ctx context.Context) error     { return c.c.ResetSession(ctx) }
func (c *faultConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.c.PrepareContext(ctx, q)
}

func (c *faultConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	if err := c.f.fail(q); err != nil {
		return nil, err
	}
	return c.c.ExecContext(ctx, q, args)
}

func (c *faultConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	if err := c.f.fail(q); err != nil {
		return nil, err
	}
	return c.c.QueryContext(ctx, q, args)
}

func (c *faultConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.f.fail("BEGIN"); err != nil {
		return nil, err
	}
	tx, err := c.c.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &faultTx{Tx: tx, f: c.f}, nil
}

type faultTx struct {
	driver.Tx
	f *faultConnector
}

// Commit fails as a COMMIT the server refused would: the transaction is
// over (rolled back), the session lives on.
func (t *faultTx) Commit() error {
	if err := t.f.fail("COMMIT"); err != nil {
		_ = t.Tx.Rollback()
		return err
	}
	return t.Tx.Commit()
}

// TestAcquireFailsWhenAnyStepFails: whichever of Acquire's statements
// fails (the session itself staying healthy), Acquire returns that error,
// no *Lock, and the session is discarded, so the key is free for others at
// once, including when the lock statement itself had succeeded before
// COMMIT failed (a session lock outlives its transaction's rollback).
//
// Bugs caught (mutants that lived before this test): the error of
// `SET idle_session_timeout = 0` swallowed (the lock then held by a
// session the server may end when idle), the error of BEGIN or of
// `SET LOCAL lock_timeout` swallowed (a *Lock returned although
// pg_advisory_lock never ran), the error of COMMIT swallowed (`return
// nil` instead of `return tx.Commit()`).
func TestAcquireFailsWhenAnyStepFails(t *testing.T) {
	tests := []struct {
		failOn  string
		timeout time.Duration
	}{
		{"SET idle_session_timeout", 0},
		{"SET idle_session_timeout", 5 * time.Second},
		{"BEGIN", 5 * time.Second},
		{"SET LOCAL lock_timeout", 5 * time.Second},
		{"SELECT pg_advisory_lock", 0},
		{"SELECT pg_advisory_lock", 5 * time.Second},
		{"COMMIT", 5 * time.Second},
	}
	tdb := dbtest.New(t, dbtest.Empty())
	plain := tdb.OpenDB(t)
	plain.SetMaxOpenConns(1) // the try-lock and the unlock on one session
	cfg, err := pgx.ParseConfig(tdb.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.failOn+"/"+tt.timeout.String(), func(t *testing.T) {
			ctx := context.Background()
			fc := &faultConnector{Connector: stdlib.GetConnector(*cfg), failOn: tt.failOn}
			db := sql.OpenDB(fc)
			defer db.Close()
			c, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			key := pglock.Key("pglock-fault-" + tt.failOn)
			l, err := pglock.Acquire(ctx, c, key, tt.timeout)
			if fc.failOn != "" {
				t.Fatalf("Acquire never ran %q (err %v)", tt.failOn, err)
			}
			if err == nil {
				_ = l.Release()
				t.Fatalf("Acquire succeeded although %q failed", tt.failOn)
			}
			if !errors.Is(err, errInjected) || errors.Is(err, pglock.ErrTimeout) {
				t.Errorf("err = %v, want the injected failure (and not ErrTimeout)", err)
			}
			if err := c.PingContext(ctx); !errors.Is(err, sql.ErrConnDone) {
				t.Errorf("the failed session is still open (Ping: %v)", err)
			}
			// The key is free at once: the session that may have taken it is
			// gone. (Its end is asynchronous on the server: poll briefly.)
			deadline := time.Now().Add(5 * time.Second)
			for {
				var got bool
				if err := plain.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got {
					if _, err := plain.ExecContext(ctx, "SELECT pg_advisory_unlock_all()"); err != nil {
						t.Fatal(err)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the key is still held 5 s after Acquire failed on %q", tt.failOn)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
