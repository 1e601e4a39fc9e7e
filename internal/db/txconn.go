package db

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// connTxDriver is the bottom of the read-write driver stack. It begins every
// transaction on a connection it checks out itself and keeps with the
// transaction, so that WithTxConn can lend the pgx connection under a
// transaction (for COPY); database/sql gives no way to reach the connection
// of a *sql.Tx begun on the pool.
type connTxDriver struct {
	*entsql.Driver
	pool *stdsql.DB
}

func newConnTxDriver(pool *stdsql.DB) *connTxDriver {
	return &connTxDriver{Driver: entsql.OpenDB(dialect.Postgres, pool), pool: pool}
}

// connHolder receives the connection of the transaction being begun; runTx
// passes one down through the context of BeginTx.
type connHolder struct{ conn *stdsql.Conn }

type connHolderKey struct{}

func (d *connTxDriver) Tx(ctx context.Context) (dialect.Tx, error) { return d.BeginTx(ctx, nil) }

func (d *connTxDriver) BeginTx(ctx context.Context, opts *entsql.TxOptions) (dialect.Tx, error) {
	conn, err := d.pool.Conn(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if h, ok := ctx.Value(connHolderKey{}).(*connHolder); ok {
		h.conn = conn
	}
	c := d.Driver.Conn // keeps ent's unexported dialect field
	c.ExecQuerier = tx
	return &connTx{Tx: &entsql.Tx{Conn: c, Tx: tx}, conn: conn}, nil
}

// connTx returns its connection to the pool when it ends.
type connTx struct {
	*entsql.Tx
	conn *stdsql.Conn
}

func (t *connTx) Commit() error {
	err := t.Tx.Commit()
	return errors.Join(err, t.release())
}

func (t *connTx) Rollback() error {
	err := t.Tx.Rollback()
	return errors.Join(err, t.release())
}

func (t *connTx) release() error {
	if err := t.conn.Close(); err != nil && !errors.Is(err, stdsql.ErrConnDone) {
		return err
	}
	return nil
}

// ErrNoTx is returned by WithTxConn outside a transaction of WithTx.
var ErrNoTx = errors.New("db: no transaction in the context: call WithTxConn inside WithTx")

// WithTxConn runs fn with the pgx connection of ctx's transaction, so that
// pgx-only features such as COPY (CopyFrom) take part in the transaction:
// they commit or roll back with it. fn must not commit, roll back or use the
// connection after returning, and must not run concurrently with other
// statements of the transaction.
func (d *DB) WithTxConn(ctx context.Context, fn func(conn *pgx.Conn) error) error {
	st := txFrom(ctx, d)
	if st == nil || st.conn == nil {
		return ErrNoTx
	}
	return st.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("db: WithTxConn: the read-write pool's driver connection is %T, not pgx's", dc)
		}
		return fn(c.Conn())
	})
}
