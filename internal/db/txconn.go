package db

import (
	"context"
	"errors"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"

	"github.com/central/central/internal/pgxdriver"
)

// txConnDriver is the bottom of the read-write driver stack. When the
// transaction being begun is WithTx's, it hands the transaction's pgx
// connection to runTx, so that WithTxConn can lend it (for COPY).
type txConnDriver struct {
	*pgxdriver.Driver
}

// connHolder receives the connection of the transaction being begun; runTx
// passes one down through the context of BeginTx.
type connHolder struct{ conn *pgx.Conn }

type connHolderKey struct{}

func (d txConnDriver) Tx(ctx context.Context) (dialect.Tx, error) { return d.BeginTx(ctx, nil) }

func (d txConnDriver) BeginTx(ctx context.Context, opts *entsql.TxOptions) (dialect.Tx, error) {
	tx, err := d.Driver.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	if h, ok := ctx.Value(connHolderKey{}).(*connHolder); ok {
		h.conn = tx.(*pgxdriver.Tx).Conn()
	}
	return tx, nil
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
	return fn(st.conn)
}
