package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/central/central/internal/db"
)

var errBoom = errors.New("boom")

func insert(ctx context.Context, d *db.DB, v string) error {
	_, err := d.Writer(ctx).ExecContext(ctx, "INSERT INTO items (v) VALUES ($1)", v)
	return err
}

// countItems counts rows on the connection of the context's transaction.
func countItems(ctx context.Context, d *db.DB) (int, error) {
	var n int
	err := d.WithTxConn(ctx, func(conn *pgx.Conn) error {
		return conn.QueryRow(ctx, "SELECT count(*) FROM items").Scan(&n)
	})
	return n, err
}

func items(t *testing.T, d *db.DB) string {
	t.Helper()
	rows, err := d.Pools().ReadWrite.QueryContext(ctxT(t), "SELECT v FROM items ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return strings.Join(out, ",")
}

func TestWithTx(t *testing.T) {
	tests := []struct {
		name      string
		fn        func(d *db.DB, hooks *[]string) func(ctx context.Context) error
		wantErr   error
		wantPanic bool
		wantItems string
		wantHooks string
	}{
		{
			name: "commit",
			fn: func(d *db.DB, hooks *[]string) func(context.Context) error {
				return func(ctx context.Context) error {
					db.OnCommit(ctx, func() { *hooks = append(*hooks, "a") })
					if err := insert(ctx, d, "a"); err != nil {
						return err
					}
					db.OnCommit(ctx, func() { *hooks = append(*hooks, "b") })
					return insert(ctx, d, "b")
				}
			},
			wantItems: "a,b", wantHooks: "a,b",
		},
		{
			name: "error rolls back, hooks dropped",
			fn: func(d *db.DB, hooks *[]string) func(context.Context) error {
				return func(ctx context.Context) error {
					db.OnCommit(ctx, func() { *hooks = append(*hooks, "a") })
					if err := insert(ctx, d, "a"); err != nil {
						return err
					}
					return fmt.Errorf("service: %w", errBoom)
				}
			},
			wantErr: errBoom,
		},
		{
			name: "panic rolls back and re-panics",
			fn: func(d *db.DB, hooks *[]string) func(context.Context) error {
				return func(ctx context.Context) error {
					db.OnCommit(ctx, func() { *hooks = append(*hooks, "a") })
					if err := insert(ctx, d, "a"); err != nil {
						return err
					}
					panic("kaboom")
				}
			},
			wantPanic: true,
		},
		{
			name: "nested error rolls back to the savepoint only",
			fn: func(d *db.DB, hooks *[]string) func(context.Context) error {
				return func(ctx context.Context) error {
					if err := insert(ctx, d, "outer1"); err != nil {
						return err
					}
					err := d.WithTx(ctx, func(ctx context.Context) error {
						db.OnCommit(ctx, func() { *hooks = append(*hooks, "inner") })
						if err := insert(ctx, d, "inner"); err != nil {
							return err
						}
						return errBoom
					})
					if !errors.Is(err, errBoom) {
						return fmt.Errorf("inner error = %v", err)
					}
					db.OnCommit(ctx, func() { *hooks = append(*hooks, "outer") })
					return insert(ctx, d, "outer2")
				}
			},
			wantItems: "outer1,outer2", wantHooks: "outer",
		},
		{
			name: "nested statement error leaves the outer transaction usable",
			fn: func(d *db.DB, hooks *[]string) func(context.Context) error {
				return func(ctx context.Context) error {
					if err := insert(ctx, d, "outer1"); err != nil {
						return err
					}
					err := d.WithTx(ctx, func(ctx context.Context) error {
						if err := insert(ctx, d, "inner"); err != nil {
							return err
						}
						_, err := d.Writer(ctx).ExecContext(ctx, "INSERT INTO items (v) VALUES (NULL)") // not null violation
						return err
					})
					var pgErr *pgconn.PgError
					if !errors.As(err, &pgErr) || pgErr.Code != "23502" {
						return fmt.Errorf("inner error = %v, want 23502", err)
					}
					return insert(ctx, d, "outer2")
				}
			},
			wantItems: "outer1,outer2",
		},
		{
			name: "nested panic rolls back everything",
			fn: func(d *db.DB, hooks *[]string) func(context.Context) error {
				return func(ctx context.Context) error {
					if err := insert(ctx, d, "outer"); err != nil {
						return err
					}
					return d.WithTx(ctx, func(ctx context.Context) error {
						db.OnCommit(ctx, func() { *hooks = append(*hooks, "inner") })
						panic("inner kaboom")
					})
				}
			},
			wantPanic: true,
		},
		{
			name: "nested success commits with the outer",
			fn: func(d *db.DB, hooks *[]string) func(context.Context) error {
				return func(ctx context.Context) error {
					for i := range 3 {
						if err := d.WithTx(ctx, func(ctx context.Context) error {
							db.OnCommit(ctx, func() { *hooks = append(*hooks, fmt.Sprint(i)) })
							return d.WithTx(ctx, func(ctx context.Context) error { return insert(ctx, d, fmt.Sprint("n", i)) })
						}); err != nil {
							return err
						}
					}
					return nil
				}
			},
			wantItems: "n0,n1,n2", wantHooks: "0,1,2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _, _ := open(t)
			exec(t, d, "CREATE TABLE items (id serial PRIMARY KEY, v text NOT NULL)")
			var hooks []string
			var err error
			panicked := func() (p any) {
				defer func() { p = recover() }()
				err = d.WithTx(ctxT(t), tt.fn(d, &hooks))
				return nil
			}()
			if (panicked != nil) != tt.wantPanic {
				t.Fatalf("panic = %v, want panic %v", panicked, tt.wantPanic)
			}
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got := items(t, d); got != tt.wantItems {
				t.Errorf("items = %q, want %q", got, tt.wantItems)
			}
			if got := strings.Join(hooks, ","); got != tt.wantHooks {
				t.Errorf("hooks = %q, want %q", got, tt.wantHooks)
			}
			// The connection went back to the pool in a clean state.
			if n := d.Pools().ReadWrite.Pgx.Stat().AcquiredConns(); n != 0 {
				t.Errorf("%d connections still in use", n)
			}
		})
	}
}

func TestOnCommitOutsideTransactionRunsAtOnce(t *testing.T) {
	ran := false
	db.OnCommit(context.Background(), func() { ran = true })
	if !ran {
		t.Fatal("hook did not run")
	}
}

func TestOnCommitHookPanicDoesNotFailCommit(t *testing.T) {
	d, _, _ := open(t)
	exec(t, d, "CREATE TABLE items (id serial PRIMARY KEY, v text NOT NULL)")
	second := false
	err := d.WithTx(ctxT(t), func(ctx context.Context) error {
		db.OnCommit(ctx, func() { panic("hook") })
		db.OnCommit(ctx, func() { second = true })
		return insert(ctx, d, "a")
	})
	if err != nil || !second || items(t, d) != "a" {
		t.Fatalf("err=%v second=%v items=%q", err, second, items(t, d))
	}
}

// flaky raises a serialization failure (40001) on its first n calls: the
// sequence is not transactional, so it counts attempts across rollbacks.
const flakySQL = `
CREATE SEQUENCE attempts;
CREATE FUNCTION flaky(n int, code text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF nextval('attempts') <= n THEN
		RAISE EXCEPTION 'simulated conflict' USING ERRCODE = code;
	END IF;
END $$;`

func TestWithTxRetries(t *testing.T) {
	tests := []struct {
		name         string
		failures     int
		code         string
		opts         []db.TxOption
		wantAttempts int
		wantErr      bool
		wantItems    string
	}{
		{"serialization failure retried", 2, "40001", nil, 3, false, "x"},
		{"deadlock retried", 1, "40P01", nil, 2, false, "x"},
		{"attempts exhausted", 5, "40001", []db.TxOption{db.WithMaxAttempts(2)}, 2, true, ""},
		{"retries disabled", 1, "40001", []db.TxOption{db.WithMaxAttempts(1)}, 1, true, ""},
		{"other errors not retried", 1, "23505", nil, 1, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _, _ := open(t)
			exec(t, d, "CREATE TABLE items (id serial PRIMARY KEY, v text NOT NULL)", flakySQL)
			calls := 0
			opts := append([]db.TxOption{db.WithBackoff(time.Millisecond, 5*time.Millisecond)}, tt.opts...)
			err := d.WithTx(ctxT(t), func(ctx context.Context) error {
				calls++
				if err := insert(ctx, d, "x"); err != nil {
					return err
				}
				_, err := d.Writer(ctx).ExecContext(ctx, "SELECT flaky($1, $2)", tt.failures, tt.code)
				return err
			}, opts...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			var pgErr *pgconn.PgError
			if err != nil && (!errors.As(err, &pgErr) || pgErr.Code != tt.code) {
				t.Errorf("err = %v, want SQLSTATE %s", err, tt.code)
			}
			if calls != tt.wantAttempts {
				t.Errorf("fn ran %d times, want %d", calls, tt.wantAttempts)
			}
			if got := items(t, d); got != tt.wantItems {
				t.Errorf("items = %q, want %q", got, tt.wantItems)
			}
		})
	}
}

// writeSkew runs two SERIALIZABLE transactions on d that each count the
// items table, wait until both have read, then insert a row named after
// the count: one of them must fail with 40001 and be retried. It fails the
// test on an error and returns how many times the functions ran.
func writeSkew(t *testing.T, d *db.DB) int {
	t.Helper()
	var (
		barrier sync.WaitGroup
		mu      sync.Mutex
		calls   int
		wg      sync.WaitGroup
		errs    = make([]error, 2)
	)
	barrier.Add(2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := true
			errs[i] = d.WithTx(ctxT(t), func(ctx context.Context) error {
				mu.Lock()
				calls++
				mu.Unlock()
				n, err := countItems(ctx, d)
				if err != nil {
					return err
				}
				if first { // both read before either writes
					first = false
					barrier.Done()
					barrier.Wait()
				}
				return insert(ctx, d, fmt.Sprintf("seen%d", n))
			}, db.WithIsolation(sql.LevelSerializable), db.WithBackoff(time.Millisecond, 10*time.Millisecond))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return calls
}

// TestWithTxRetriesRealSerializationFailure provokes a genuine 40001: two
// SERIALIZABLE transactions each read the table, then insert a row based on
// what they read (write skew). One of them must fail and be retried.
func TestWithTxRetriesRealSerializationFailure(t *testing.T) {
	d, _, _ := open(t)
	exec(t, d, "CREATE TABLE items (id serial PRIMARY KEY, v text NOT NULL)")
	calls := writeSkew(t, d)
	if calls != 3 {
		t.Errorf("fn ran %d times, want 3 (one retry)", calls)
	}
	if got := items(t, d); got != "seen0,seen1" {
		t.Errorf("items = %q, want seen0,seen1 (the retry saw the other's row)", got)
	}
}

func TestWriterReaderOutsideTransaction(t *testing.T) {
	d, _, _ := open(t)
	ctx := ctxT(t)
	if d.Writer(ctx) != d.Client() || d.Reader(ctx) != d.ReadOnlyClient() {
		t.Fatal("outside a transaction Writer/Reader must be the base clients")
	}
	if db.InTx(ctx) {
		t.Fatal("InTx outside a transaction")
	}
	err := d.WithTx(ctx, func(ctx context.Context) error {
		if !db.InTx(ctx) || d.Writer(ctx) == d.Client() || d.Reader(ctx) == d.ReadOnlyClient() {
			t.Error("inside a transaction Writer/Reader must be the transaction's clients")
		}
		if d.Reader(ctx) != d.Reader(ctx) {
			t.Error("Reader inside a transaction must be built once")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWithTxGoexit: fn ending its goroutine with runtime.Goexit (what
// t.FailNow does) must not leave the transaction open.
func TestWithTxGoexit(t *testing.T) {
	d, _, _ := open(t)
	exec(t, d, "CREATE TABLE items (id serial PRIMARY KEY, v text NOT NULL)")
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = d.WithTx(context.Background(), func(ctx context.Context) error {
			if err := insert(ctx, d, "a"); err != nil {
				return err
			}
			runtime.Goexit()
			return nil
		})
	}()
	<-done
	if n := d.Pools().ReadWrite.Pgx.Stat().AcquiredConns(); n != 0 {
		t.Errorf("%d connections still in use: the transaction was left open", n)
	}
	if got := items(t, d); got != "" {
		t.Errorf("items = %q, want none", got)
	}
}
