package seedengine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/central/central/internal/tenantctx"
)

// ErrCopyNeedsTenant is returned by CopyFrom into a table under row-level
// security when ctx carries no tenant.
var ErrCopyNeedsTenant = errors.New("seed: COPY into a tenant-owned table needs its tenant: pass tenantctx.With(ctx, tenantID), one CopyFrom per tenant")

// copyTenant loads rows into table for the tenant of ctx. PostgreSQL
// refuses COPY FROM into a table whose row-level security applies to the
// session's role (SQLSTATE 0A000), so the rows are copied into a temporary
// table of the same columns and moved with one INSERT ... SELECT, which the
// table's policy checks (WITH CHECK): a row of another tenant fails the
// whole seed. The setting is local to the seed's transaction; CopyFrom
// clears it (clearTenant) after re-adding foreign keys, so later statements
// of the seed are not silently scoped.
func copyTenant(ctx context.Context, conn *pgx.Conn, id tenantctx.ID, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	cols := make([]string, len(columns))
	for i, c := range columns {
		cols[i] = pgx.Identifier{c}.Sanitize()
	}
	list := strings.Join(cols, ", ")
	stage := pgx.Identifier{"pg_temp", "central_seed_copy"}
	if _, err := conn.Exec(ctx, "CREATE TEMP TABLE "+stage.Sanitize()+" ON COMMIT DROP AS SELECT "+list+" FROM "+table.Sanitize()+" WITH NO DATA"); err != nil {
		return 0, fmt.Errorf("create staging table: %w", err)
	}
	if _, err := conn.CopyFrom(ctx, stage, columns, src); err != nil {
		return 0, err
	}
	if _, err := conn.Exec(ctx, tenantctx.SetSQL, id.String()); err != nil {
		return 0, fmt.Errorf("set tenant: %w", err)
	}
	tag, err := conn.Exec(ctx, "INSERT INTO "+table.Sanitize()+" ("+list+") SELECT "+list+" FROM "+stage.Sanitize())
	if err != nil {
		return 0, err
	}
	if _, err := conn.Exec(ctx, "DROP TABLE "+stage.Sanitize()); err != nil {
		return 0, fmt.Errorf("drop staging table: %w", err)
	}
	return tag.RowsAffected(), nil
}

// copyError explains PostgreSQL's refusal of COPY under row-level security.
func copyError(ctx context.Context, err error) error {
	// pgx reports a copy cut short by the context as whatever the
	// connection said when its deadline fired (an i/o timeout, a closed
	// connection), depending on timing: name the context's reason, so the
	// error says why and callers can match context.Canceled.
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "0A000" && strings.Contains(pe.Message, "row-level security") {
		return fmt.Errorf("%w (%v)", ErrCopyNeedsTenant, err)
	}
	return err
}

// clearTenant ends the tenant scope copyTenant set. It runs after the
// foreign keys are re-added: PostgreSQL validates a re-added key with a
// query that row-level security filters for the table's owner under FORCE,
// so the copied rows must still be visible then, or an orphan would pass.
func clearTenant(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, tenantctx.ClearSQL); err != nil {
		return fmt.Errorf("clear tenant: %w", err)
	}
	return nil
}
