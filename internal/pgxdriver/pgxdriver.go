package pgxdriver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/central/central/internal/tenantctx"
)

// ErrNoQueryContext is returned by QueryContext where it cannot return a
// *sql.Rows: inside a transaction, or on a Driver without WithDatabaseSQL.
var ErrNoQueryContext = errors.New("pgxdriver: QueryContext (*sql.Rows) is not available here: use ent's typed queries, the dialect-level Query, or the transaction's *pgx.Conn")

// ErrTenantQueryContext is returned by Driver.QueryContext when ctx
// carries a tenant (internal/tenantctx): the database/sql view cannot send
// the tenant with the statement, and running it without one would silently
// see no tenant-owned row under row-level security.
var ErrTenantQueryContext = errors.New("pgxdriver: QueryContext (*sql.Rows) cannot carry the context's tenant: " +
	"use the dialect-level Query (an *entsql.Rows destination), which sends the tenant setting with the statement")

// ErrTxDone is matched (errors.Is) by the error of Commit or Rollback on a
// transaction that has already ended; it also matches sql.ErrTxDone and
// pgx.ErrTxClosed, so callers written against either keep working.
var ErrTxDone = fmt.Errorf("pgxdriver: %w (%w)", sql.ErrTxDone, pgx.ErrTxClosed)

// Option configures New.
type Option func(*Driver)

// WithDatabaseSQL lets QueryContext outside a transaction run on db, which
// must be a database/sql view of the same pool (stdlib.OpenDBFromPool), so
// code written for ent's sql/execquery feature keeps working.
func WithDatabaseSQL(db *sql.DB) Option { return func(d *Driver) { d.sqlDB = db } }

// Driver is an ent dialect.Driver over a pgxpool.
type Driver struct {
	pool  *pgxpool.Pool
	sqlDB *sql.DB
}

var (
	_ dialect.Driver = (*Driver)(nil)
	_ dialect.Tx     = (*Tx)(nil)
)

// New returns a driver that runs every statement on pool. It panics on a
// nil pool: a programming error found at start.
func New(pool *pgxpool.Pool, opts ...Option) *Driver {
	if pool == nil {
		panic("pgxdriver: New: nil pool")
	}
	d := &Driver{pool: pool}
	for _, o := range opts {
		o(d)
	}
	return d
}

// Pool returns the pool under the driver.
func (d *Driver) Pool() *pgxpool.Pool { return d.pool }

// Dialect implements dialect.Driver: always dialect.Postgres.
func (d *Driver) Dialect() string { return dialect.Postgres }

// Close implements dialect.Driver. It does nothing: the pool belongs to its
// opener, which may share it with other drivers.
func (d *Driver) Close() error { return nil }

// Exec implements dialect.ExecQuerier.
func (d *Driver) Exec(ctx context.Context, query string, args, v any) error {
	return exec(ctx, d.pool, query, args, v)
}

// Query implements dialect.ExecQuerier.
func (d *Driver) Query(ctx context.Context, query string, args, v any) error {
	return queryRows(ctx, d.pool, query, args, v)
}

// ExecContext runs a statement (ent's sql/execquery feature).
func (d *Driver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	if err := exec(ctx, d.pool, query, args, &res); err != nil {
		return nil, err
	}
	return res, nil
}

// QueryContext runs a query on the database/sql view given by
// WithDatabaseSQL; without one it returns ErrNoQueryContext. It refuses a
// ctx that carries a tenant (ErrTenantQueryContext) rather than drop it.
func (d *Driver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if id, ok := tenantctx.From(ctx); ok {
		return nil, fmt.Errorf("%w (tenant %s)", ErrTenantQueryContext, id)
	}
	if d.sqlDB == nil {
		return nil, ErrNoQueryContext
	}
	return d.sqlDB.QueryContext(ctx, query, args...)
}

// Tx implements dialect.Driver: BeginTx with default options.
func (d *Driver) Tx(ctx context.Context) (dialect.Tx, error) { return d.BeginTx(ctx, nil) }

// BeginTx begins a transaction on a connection of the pool, which it holds
// until Commit or Rollback. opts may be nil; isolation levels PostgreSQL
// lacks (snapshot, linearizable, write committed) are refused.
func (d *Driver) BeginTx(ctx context.Context, opts *entsql.TxOptions) (dialect.Tx, error) {
	txo, err := txOptions(opts)
	if err != nil {
		return nil, err
	}
	tx, err := d.pool.BeginTx(ctx, txo)
	if err != nil {
		return nil, err
	}
	// Commit and Rollback keep ctx's values (the trace span, the request
	// id) but not its cancellation, as before with context.Background.
	return &Tx{tx: tx, ctx: context.WithoutCancel(ctx)}, nil
}

func txOptions(opts *entsql.TxOptions) (pgx.TxOptions, error) {
	var o pgx.TxOptions
	if opts == nil {
		return o, nil
	}
	switch opts.Isolation {
	case sql.LevelDefault:
	case sql.LevelReadUncommitted:
		o.IsoLevel = pgx.ReadUncommitted
	case sql.LevelReadCommitted:
		o.IsoLevel = pgx.ReadCommitted
	case sql.LevelRepeatableRead:
		o.IsoLevel = pgx.RepeatableRead
	case sql.LevelSerializable:
		o.IsoLevel = pgx.Serializable
	default:
		return o, fmt.Errorf("pgxdriver: isolation level %v is not supported by PostgreSQL: use read committed, repeatable read or serializable", opts.Isolation)
	}
	if opts.ReadOnly {
		o.AccessMode = pgx.ReadOnly
	}
	return o, nil
}

// Tx is a transaction on one pooled connection.
type Tx struct {
	tx  pgx.Tx
	ctx context.Context // BeginTx's, without cancellation: for Commit and Rollback
}

// Conn returns the connection of the transaction, for pgx-only features
// such as CopyFrom. Statements on it take part in the transaction.
func (t *Tx) Conn() *pgx.Conn { return t.tx.Conn() }

// Exec implements dialect.ExecQuerier.
func (t *Tx) Exec(ctx context.Context, query string, args, v any) error {
	return exec(ctx, t.tx, query, args, v)
}

// Query implements dialect.ExecQuerier.
func (t *Tx) Query(ctx context.Context, query string, args, v any) error {
	return queryRows(ctx, t.tx, query, args, v)
}

// ExecContext runs a statement in the transaction (ent's sql/execquery
// feature; WithTx's savepoints use it), with the context's tenant like Exec.
func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	if err := exec(ctx, t.tx, query, args, &res); err != nil {
		return nil, err
	}
	return res, nil
}

// QueryContext always returns ErrNoQueryContext: a *sql.Rows cannot be read
// from a pgx transaction.
func (t *Tx) QueryContext(context.Context, string, ...any) (*sql.Rows, error) {
	return nil, ErrNoQueryContext
}

// Commit commits the transaction and returns its connection to the pool.
func (t *Tx) Commit() error {
	return txErr(t.tx.Commit(t.ctx))
}

// Rollback rolls the transaction back and returns its connection to the
// pool.
func (t *Tx) Rollback() error {
	return txErr(t.tx.Rollback(t.ctx))
}

func txErr(err error) error {
	if errors.Is(err, pgx.ErrTxClosed) {
		return ErrTxDone
	}
	return err
}

// Result is the sql.Result of a statement: its command tag.
type Result struct{ Tag pgconn.CommandTag }

// LastInsertId always fails: PostgreSQL has no such thing; use RETURNING.
func (Result) LastInsertId() (int64, error) {
	return 0, errors.New("pgxdriver: LastInsertId is not supported by PostgreSQL: use RETURNING")
}

// RowsAffected returns the row count of the command tag.
func (r Result) RowsAffected() (int64, error) { return r.Tag.RowsAffected(), nil }

type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	batcher
}

func argList(args any) ([]any, error) {
	switch a := args.(type) {
	case []any:
		return a, nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("pgxdriver: invalid args type %T: want []any", args)
}

func exec(ctx context.Context, q querier, query string, args, v any) error {
	argv, err := argList(args)
	if err != nil {
		return err
	}
	run := q.Exec
	if id, ok := tenantctx.From(ctx); ok {
		run = func(ctx context.Context, query string, argv ...any) (pgconn.CommandTag, error) {
			return execTenant(ctx, q, id, query, argv)
		}
	}
	switch v := v.(type) {
	case nil:
		_, err := run(ctx, query, argv...)
		return err
	case *sql.Result:
		tag, err := run(ctx, query, argv...)
		if err != nil {
			return err
		}
		*v = Result{tag}
		return nil
	}
	return fmt.Errorf("pgxdriver: invalid Exec destination %T: want *sql.Result or nil", v)
}

func queryRows(ctx context.Context, q querier, query string, args, v any) error {
	vr, ok := v.(*entsql.Rows)
	if !ok {
		return fmt.Errorf("pgxdriver: invalid Query destination %T: want *entsql.Rows", v)
	}
	argv, err := argList(args)
	if err != nil {
		return err
	}
	var r pgx.Rows
	if id, ok := tenantctx.From(ctx); ok {
		r, err = queryTenant(ctx, q, id, query, argv)
	} else {
		r, err = q.Query(ctx, query, argv...)
	}
	if err != nil {
		return err
	}
	*vr = entsql.Rows{ColumnScanner: &Rows{rows: r}}
	return nil
}
