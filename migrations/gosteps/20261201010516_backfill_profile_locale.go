package gosteps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/tenantctx"
)

// DefaultLocale is the locale users created before profiles existed get.
const DefaultLocale = "en"

// BackfillProfileLocale sets profile.locale to locale for every user that
// has none, batchSize users per batch. Users that already have a locale
// keep it, so the step is also safe on rows written by a newer binary
// during a rolling deploy.
//
// users is under row-level security (FORCE'd for the app's own role): a
// statement without a tenant sees no user at all. So the step walks the
// tenants (a global table) in ID order and each batch works inside one
// tenant, with that tenant set (tenantctx) for its statement. The cursor
// is "<tenant id>/<last user id of the batch>" ("<tenant id>/" before the
// tenant's first batch); it commits with the batch, so a rerun resumes
// where the last committed batch stopped. A cursor of the pre-RLS form (a
// bare user ID) restarts the walk: the backfill is idempotent.
func BackfillProfileLocale(locale string, batchSize int) func(ctx context.Context, d Deps, cursor string) (string, int64, bool, error) {
	return func(ctx context.Context, d Deps, cursor string) (string, int64, bool, error) {
		if err := (jsonb.UserProfile{Locale: locale}).Validate(); err != nil || locale == "" {
			return "", 0, false, fmt.Errorf("backfill locale %q: not a valid profile locale", locale)
		}
		if batchSize < 1 {
			return "", 0, false, fmt.Errorf("backfill batch size %d: want at least 1", batchSize)
		}
		var next string
		var rows int64
		var done bool
		err := d.DB.WithTxConn(ctx, func(conn *pgx.Conn) error {
			tenant, after, err := parseBackfillCursor(cursor)
			if err != nil {
				return err
			}
			if tenant == "" { // start of the walk
				if tenant, err = nextTenant(ctx, conn, ""); err != nil {
					return err
				}
				if tenant == "" { // no tenant, no user
					done = true
					return nil
				}
			}
			var tid pgtype.UUID
			if err := tid.Scan(tenant); err != nil {
				return fmt.Errorf("backfill cursor %q: tenant %q: %w", cursor, tenant, err)
			}
			if after != "" {
				var u pgtype.UUID
				if err := u.Scan(after); err != nil {
					return fmt.Errorf("backfill cursor %q: user %q: %w", cursor, after, err)
				}
			}
			last, seen, n, err := backfillBatch(tenantctx.With(ctx, tid.Bytes), conn, after, batchSize, locale)
			if err != nil {
				return fmt.Errorf("backfill tenant %s after user %q: %w", tenant, after, err)
			}
			rows = n
			if seen == int64(batchSize) {
				next = tenant + "/" + last
				return nil
			}
			// This tenant is done: move on to the next one, or finish.
			nt, err := nextTenant(ctx, conn, tenant)
			if err != nil {
				return err
			}
			if nt == "" {
				next, done = tenant+"/"+last, true
				return nil
			}
			next = nt + "/"
			return nil
		})
		if err != nil {
			return "", 0, false, fmt.Errorf("backfill a batch after %q: %w", cursor, err)
		}
		return next, rows, done, nil
	}
}

// parseBackfillCursor splits "<tenant>/<user>"; "" and a pre-RLS cursor
// (no "/") start the walk over.
func parseBackfillCursor(cursor string) (tenant, after string, err error) {
	t, a, ok := strings.Cut(cursor, "/")
	if !ok {
		return "", "", nil
	}
	if t == "" || strings.Contains(a, "/") {
		return "", "", fmt.Errorf("backfill cursor %q: want <tenant id>/<user id>", cursor)
	}
	return t, a, nil
}

// nextTenant returns the first tenant after (all of them for ""), "" when
// there is none. tenants is a global table, visible without a tenant.
func nextTenant(ctx context.Context, conn *pgx.Conn, after string) (string, error) {
	if after == "" {
		after = "00000000-0000-0000-0000-000000000000"
	}
	var id string
	err := conn.QueryRow(ctx, `SELECT id::text FROM tenants WHERE id > $1::uuid ORDER BY id LIMIT 1`, after).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find the tenant after %q: %w", after, err)
	}
	return id, nil
}

// backfillBatch backfills up to n users of ctx's tenant after user ID
// after, in ID order. The tenant is set (transaction-locally) for the
// statement and cleared after it, in one round trip, as the driver does
// for ent's statements (see internal/pgxdriver): raw statements on the
// transaction's connection carry no tenant by themselves. The statement
// also names the tenant itself, as the generated tenant scope does: the
// step runs before the migration that turns row-level security on, when
// the setting alone filters nothing. It returns the
// last user ID seen, how many were seen and how many were changed.
func backfillBatch(ctx context.Context, conn *pgx.Conn, after string, n int, locale string) (last string, seen, changed int64, err error) {
	tid, ok := tenantctx.From(ctx)
	if !ok {
		return "", 0, 0, errors.New("backfill: no tenant in the context (users is under row-level security)")
	}
	if after == "" {
		after = "00000000-0000-0000-0000-000000000000"
	}
	b := &pgx.Batch{}
	b.Queue(tenantctx.SetSQL, tid.String())
	b.Queue(`
		WITH batch AS (
			SELECT id FROM users WHERE tenant_id = $1::uuid AND id > $2::uuid ORDER BY id LIMIT $3
		), updated AS (
			UPDATE users u SET profile = u.profile || jsonb_build_object('locale', $4::text), updated_at = now()
			FROM batch WHERE u.id = batch.id AND u.profile->'locale' IS NULL
			RETURNING 1
		)
		SELECT coalesce((SELECT id::text FROM batch ORDER BY id DESC LIMIT 1), ''),
			(SELECT count(*) FROM batch), (SELECT count(*) FROM updated)`, tid.String(), after, n, locale)
	b.Queue(tenantctx.ClearSQL)
	br := conn.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return "", 0, 0, fmt.Errorf("set tenant: %w", err)
	}
	if err := br.QueryRow().Scan(&last, &seen, &changed); err != nil {
		_ = br.Close()
		return "", 0, 0, err
	}
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return "", 0, 0, fmt.Errorf("clear tenant: %w", err)
	}
	if err := br.Close(); err != nil {
		return "", 0, 0, err
	}
	return last, seen, changed, nil
}
