package pgxdriver

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/central/central/internal/tenantctx"
)

// batcher is what a tenant statement needs: the pool (each batch one
// implicit transaction on one connection) or a transaction.
type batcher interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// tenantBatch queues set_config and then the statement, so both go to the
// server in one round trip. Outside a transaction the batch is a pipeline
// ended by a single Sync: PostgreSQL runs it as one implicit transaction,
// so the transaction-local setting covers exactly the statement.
func tenantBatch(id tenantctx.ID, query string, argv []any) *pgx.Batch {
	b := &pgx.Batch{}
	b.Queue(tenantctx.SetSQL, id.String())
	b.Queue(query, argv...)
	return b
}

func execTenant(ctx context.Context, q batcher, id tenantctx.ID, query string, argv []any) (pgconn.CommandTag, error) {
	br := q.SendBatch(ctx, tenantBatch(id, query, argv))
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

func queryTenant(ctx context.Context, q batcher, id tenantctx.ID, query string, argv []any) (pgx.Rows, error) {
	br := q.SendBatch(ctx, tenantBatch(id, query, argv))
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// batchRows are the rows of a tenant statement: closing them also ends
// the batch, which releases its connection to the pool.
type batchRows struct {
	pgx.Rows
	br  pgx.BatchResults
	err error
}

func (r *batchRows) Close() {
	r.Rows.Close()
	if r.br != nil {
		r.err = r.br.Close()
		r.br = nil
	}
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}
