package migrate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// GoStepsTable is the Go-step ledger, created by the runner (not by a
// migration file, so that the directory stays plain SQL for the atlas CLI)
// in the revisions schema next to atlas's own table, out of the app's
// schema and of schema diffs.
const GoStepsTable = "central_go_steps"

// stepRow is one row of the ledger.
type stepRow struct {
	Version    string
	Name       string
	Done       bool
	Cursor     string // resume point of a batched step ("" before its first batch)
	Batches    int64
	Rows       int64
	StartedAt  time.Time
	FinishedAt time.Time // zero until done
	Duration   time.Duration
	Operator   string
}

func (m *Migrator) stepsTable() string {
	return quoteIdent(m.schema) + "." + quoteIdent(GoStepsTable)
}

// ensureSteps creates the ledger (under the migration lock).
func (m *Migrator) ensureSteps(ctx context.Context, q execQuerier) error {
	for _, s := range []string{
		"CREATE SCHEMA IF NOT EXISTS " + quoteIdent(m.schema),
		"CREATE TABLE IF NOT EXISTS " + m.stepsTable() + ` (
			"version" character varying NOT NULL PRIMARY KEY,
			"name" character varying NOT NULL,
			"done" boolean NOT NULL DEFAULT false,
			"cursor" text NOT NULL DEFAULT '',
			"batches" bigint NOT NULL DEFAULT 0,
			"rows" bigint NOT NULL DEFAULT 0,
			"started_at" timestamptz NOT NULL DEFAULT now(),
			"finished_at" timestamptz NULL,
			"duration_ms" bigint NOT NULL DEFAULT 0,
			"operator_version" character varying NOT NULL)`,
	} {
		if _, err := q.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("create the Go-step ledger: %w", err)
		}
	}
	return nil
}

// readSteps reads the ledger; a missing table (or schema) reads as empty.
func (m *Migrator) readSteps(ctx context.Context, q execQuerier) ([]*stepRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT "version", "name", "done", "cursor", "batches", "rows", "started_at",
		coalesce("finished_at", 'epoch'), "duration_ms", "operator_version" FROM `+m.stepsTable()+` ORDER BY "version"`)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && (pe.Code == "42P01" || pe.Code == "3F000") { // undefined table / schema
			return nil, nil
		}
		return nil, fmt.Errorf("read the Go-step ledger: %w", err)
	}
	defer rows.Close()
	var out []*stepRow
	for rows.Next() {
		r := &stepRow{}
		var ms int64
		if err := rows.Scan(&r.Version, &r.Name, &r.Done, &r.Cursor, &r.Batches, &r.Rows, &r.StartedAt, &r.FinishedAt, &ms, &r.Operator); err != nil {
			return nil, fmt.Errorf("read the Go-step ledger: %w", err)
		}
		if !r.Done {
			r.FinishedAt = time.Time{}
		}
		r.Duration = time.Duration(ms) * time.Millisecond
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the Go-step ledger: %w", err)
	}
	return out, nil
}

// recordStep upserts a step's row in its transaction: after each batch
// (cursor, counts) and when done.
func (m *Migrator) recordStep(ctx context.Context, q Querier, r *stepRow) error {
	var finished any
	if r.Done {
		finished = r.FinishedAt
	}
	_, err := q.ExecContext(ctx, `INSERT INTO `+m.stepsTable()+` ("version", "name", "done", "cursor", "batches", "rows", "started_at", "finished_at", "duration_ms", "operator_version")
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT ("version") DO UPDATE SET "name" = EXCLUDED."name", "done" = EXCLUDED."done", "cursor" = EXCLUDED."cursor",
			"batches" = EXCLUDED."batches", "rows" = EXCLUDED."rows", "finished_at" = EXCLUDED."finished_at",
			"duration_ms" = EXCLUDED."duration_ms", "operator_version" = EXCLUDED."operator_version"`,
		r.Version, r.Name, r.Done, r.Cursor, r.Batches, r.Rows, r.StartedAt, finished, r.Duration.Milliseconds(), r.Operator)
	if err != nil {
		return fmt.Errorf("record Go step %s_%s in the ledger: %w", r.Version, r.Name, err)
	}
	return nil
}
