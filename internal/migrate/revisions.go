package migrate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	"github.com/jackc/pgx/v5/pgconn"
)

// DefaultRevisionsSchema is where the atlas CLI keeps its revisions table
// for a connection that is not bound to a schema (no search_path in the URL).
const DefaultRevisionsSchema = "atlas_schema_revisions"

// revisionsTable is the table name the atlas CLI uses.
const revisionsTable = "atlas_schema_revisions"

// cloudIdentifier is the row the atlas CLI stores to identify the target;
// it is not a revision.
const cloudIdentifier = ".atlas_cloud_identifier"

// execQuerier is what revisions need from *sql.DB, *sql.Conn or *sql.Tx.
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// revisions implements atlas's migrate.RevisionReadWriter with plain SQL on
// the exact table the atlas CLI creates (its implementation is internal to
// the CLI), so `atlas migrate status` and this package agree.
type revisions struct {
	q      execQuerier
	schema string
}

var _ migrate.RevisionReadWriter = (*revisions)(nil)

func (r *revisions) table() string {
	return quoteIdent(r.schema) + "." + quoteIdent(revisionsTable)
}

// ensure creates the schema and table as the atlas CLI does (the CLI
// generates this DDL from its ent schema; column types must stay identical
// so that its own migration of the table is a no-op).
func (r *revisions) ensure(ctx context.Context) error {
	stmts := []string{
		"CREATE SCHEMA IF NOT EXISTS " + quoteIdent(r.schema),
		"CREATE TABLE IF NOT EXISTS " + r.table() + ` ("version" character varying NOT NULL, "description" character varying NOT NULL, "type" bigint NOT NULL DEFAULT 2, "applied" bigint NOT NULL DEFAULT 0, "total" bigint NOT NULL DEFAULT 0, "executed_at" timestamptz NOT NULL, "execution_time" bigint NOT NULL, "error" text NULL, "error_stmt" text NULL, "hash" character varying NOT NULL, "partial_hashes" jsonb NULL, "operator_version" character varying NOT NULL, PRIMARY KEY ("version"))`,
	}
	for _, s := range stmts {
		if _, err := r.q.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("create revisions table: %w", err)
		}
	}
	return nil
}

// Ident implements migrate.RevisionReadWriter.
func (r *revisions) Ident() *migrate.TableIdent {
	return &migrate.TableIdent{Name: revisionsTable, Schema: r.schema}
}

const revisionColumns = `"version", "description", "type", "applied", "total", "executed_at", "execution_time", coalesce("error", ''), coalesce("error_stmt", ''), "hash", "partial_hashes", "operator_version"`

// ReadRevisions implements migrate.RevisionReadWriter. A missing table reads
// as no revisions.
func (r *revisions) ReadRevisions(ctx context.Context) ([]*migrate.Revision, error) {
	return r.query(ctx, `SELECT `+revisionColumns+` FROM `+r.table()+` WHERE "version" <> $1 ORDER BY "version"`, cloudIdentifier)
}

// ReadRevision implements migrate.RevisionReadWriter.
func (r *revisions) ReadRevision(ctx context.Context, version string) (*migrate.Revision, error) {
	revs, err := r.query(ctx, `SELECT `+revisionColumns+` FROM `+r.table()+` WHERE "version" = $1`, version)
	if err != nil {
		return nil, err
	}
	if len(revs) == 0 {
		return nil, migrate.ErrRevisionNotExist
	}
	return revs[0], nil
}

func (r *revisions) query(ctx context.Context, query string, args ...any) ([]*migrate.Revision, error) {
	rows, err := r.q.QueryContext(ctx, query, args...)
	if isUndefinedTable(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read revisions: %w", err)
	}
	defer rows.Close()
	var revs []*migrate.Revision
	for rows.Next() {
		var (
			rev     migrate.Revision
			typ     int64
			execNs  int64
			partial []byte
		)
		if err := rows.Scan(&rev.Version, &rev.Description, &typ, &rev.Applied, &rev.Total, &rev.ExecutedAt,
			&execNs, &rev.Error, &rev.ErrorStmt, &rev.Hash, &partial, &rev.OperatorVersion); err != nil {
			return nil, fmt.Errorf("scan revision: %w", err)
		}
		rev.Type = migrate.RevisionType(typ)
		rev.ExecutionTime = time.Duration(execNs)
		if len(partial) > 0 {
			if err := json.Unmarshal(partial, &rev.PartialHashes); err != nil {
				return nil, fmt.Errorf("decode partial hashes of revision %s: %w", rev.Version, err)
			}
		}
		revs = append(revs, &rev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read revisions: %w", err)
	}
	return revs, nil
}

// WriteRevision implements migrate.RevisionReadWriter with the CLI's upsert
// semantics: description and executed_at are immutable once written.
func (r *revisions) WriteRevision(ctx context.Context, rev *migrate.Revision) error {
	if rev.Version == cloudIdentifier {
		return errors.New("migrate: writing the atlas revision-table identifier is not allowed")
	}
	var partial any
	if rev.PartialHashes != nil {
		b, err := json.Marshal(rev.PartialHashes)
		if err != nil {
			return fmt.Errorf("encode partial hashes: %w", err)
		}
		partial = string(b)
	}
	_, err := r.q.ExecContext(ctx, `INSERT INTO `+r.table()+` ("version", "description", "type", "applied", "total", "executed_at", "execution_time", "error", "error_stmt", "hash", "partial_hashes", "operator_version")
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12)
ON CONFLICT ("version") DO UPDATE SET "type" = excluded."type", "applied" = excluded."applied", "total" = excluded."total",
"execution_time" = excluded."execution_time", "error" = excluded."error", "error_stmt" = excluded."error_stmt", "hash" = excluded."hash",
"partial_hashes" = excluded."partial_hashes", "operator_version" = excluded."operator_version"`,
		rev.Version, rev.Description, int64(rev.Type), rev.Applied, rev.Total, rev.ExecutedAt, int64(rev.ExecutionTime),
		rev.Error, rev.ErrorStmt, rev.Hash, partial, rev.OperatorVersion)
	if err != nil {
		return fmt.Errorf("write revision %s: %w", rev.Version, err)
	}
	return nil
}

// DeleteRevision implements migrate.RevisionReadWriter.
func (r *revisions) DeleteRevision(ctx context.Context, version string) error {
	if _, err := r.q.ExecContext(ctx, `DELETE FROM `+r.table()+` WHERE "version" = $1`, version); err != nil {
		return fmt.Errorf("delete revision %s: %w", version, err)
	}
	return nil
}

// isUndefinedTable reports PostgreSQL's undefined_table (42P01), returned
// when the revisions table (or its schema) does not exist yet.
func isUndefinedTable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42P01"
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
