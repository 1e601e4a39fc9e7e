package seedengine_test

import (
	"context"
	"testing"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/pglock"
	"github.com/central/central/internal/seedengine"
)

// TestEdgeSeedLockKeyIsStable: while seeds run, the session advisory lock
// held is pglock.Key("central_seed_run"), the key every released version
// uses: during a rolling deploy an old and a new binary must exclude each
// other. Bug caught: the key changed (each version would then hold its own
// lock, and both could apply the same seed). Found by mutation testing: the
// concurrency tests cannot see it, since all their instances share the
// changed key.
func TestEdgeSeedLockKeyIsStable(t *testing.T) {
	db := newTxDB(t, newTestDB(t))
	key := pglock.Key("central_seed_run")
	held := -1
	s := set(config.Development, "", []string{"0001_probe"}, map[string]seedengine.Func[deps]{
		"0001_probe": func(ctx context.Context, d deps) error {
			// Another session looks at pg_locks: a bigint advisory key shows
			// as classid (high half) and objid (low half), objsubid 1. Only
			// this database's: on a shared TEST_DATABASE_URL server other
			// test binaries seed at the same time under the same key.
			return d.db.pool.QueryRowContext(context.Background(), `
				SELECT count(*) FROM pg_locks
				WHERE locktype = 'advisory' AND objsubid = 1 AND granted
				  AND classid = $1::bigint::oid AND objid = $2::bigint::oid
				  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
				int64(uint32(uint64(key)>>32)), int64(uint32(uint64(key)))).Scan(&held)
		},
	})
	if _, err := newRunner(t, db, config.Development, s).Run(context.Background(), seedengine.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if held != 1 {
		t.Fatalf("while seeding, %d sessions held advisory lock %d (pglock.Key(\"central_seed_run\")), want 1", held, key)
	}
}
