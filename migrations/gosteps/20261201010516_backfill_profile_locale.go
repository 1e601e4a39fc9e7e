package gosteps

import (
	"context"
	"errors"
	"fmt"

	"github.com/central/central/internal/jsonb"
)

// DefaultLocale is the locale users created before profiles existed get.
const DefaultLocale = "en"

// BackfillProfileLocale sets profile.locale to locale for every user that
// has none, batchSize users per batch in ID order (the cursor is the last
// ID of the batch). Users that already have a locale keep it, so the step
// is also safe on rows written by a newer binary during a rolling deploy.
func BackfillProfileLocale(locale string, batchSize int) func(ctx context.Context, d Deps, cursor string) (string, int64, bool, error) {
	return func(ctx context.Context, d Deps, cursor string) (string, int64, bool, error) {
		if err := (jsonb.UserProfile{Locale: locale}).Validate(); err != nil || locale == "" {
			return "", 0, false, fmt.Errorf("backfill locale %q: not a valid profile locale", locale)
		}
		if batchSize < 1 {
			return "", 0, false, fmt.Errorf("backfill batch size %d: want at least 1", batchSize)
		}
		after := cursor
		if after == "" {
			after = "00000000-0000-0000-0000-000000000000"
		}
		rows, err := d.DB.Writer(ctx).QueryContext(ctx, `
			WITH batch AS (
				SELECT id FROM users WHERE id > $1::uuid ORDER BY id LIMIT $2
			), updated AS (
				UPDATE users u SET profile = u.profile || jsonb_build_object('locale', $3::text), updated_at = now()
				FROM batch WHERE u.id = batch.id AND u.profile->'locale' IS NULL
				RETURNING 1
			)
			SELECT coalesce((SELECT id::text FROM batch ORDER BY id DESC LIMIT 1), ''),
				(SELECT count(*) FROM batch), (SELECT count(*) FROM updated)`, after, batchSize, locale)
		if err != nil {
			return "", 0, false, fmt.Errorf("backfill a batch after %q: %w", cursor, err)
		}
		defer rows.Close()
		if !rows.Next() {
			return "", 0, false, errors.Join(errors.New("backfill: no result row"), rows.Err())
		}
		var (
			last            string
			seen, backfills int64
		)
		if err := rows.Scan(&last, &seen, &backfills); err != nil {
			return "", 0, false, fmt.Errorf("backfill: %w", err)
		}
		if seen < int64(batchSize) {
			return last, backfills, true, nil
		}
		return last, backfills, false, rows.Err()
	}
}
