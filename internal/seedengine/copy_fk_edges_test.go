package seedengine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/seedengine"
)

// TestCopyRevalidatingForeignKeysRefusals: with RevalidateForeignKeys,
// PostgreSQL's refusals (real server errors) stop the copy and the seed,
// naming the step: a table that does not exist (listing its foreign keys
// fails) and a table the seed's role does not own (dropping its foreign
// key fails: "must be owner"). Mutants: the listing's error swallowed,
// the drop's error swallowed, CopyFrom's `return err` after
// dropForeignKeys swallowed (each then copies, or fails later without
// saying why).
func TestCopyRevalidatingForeignKeysRefusals(t *testing.T) {
	tdb := newTestDB(t)
	db := newTxDB(t, tdb)
	for _, q := range []string{
		`CREATE TABLE fk_parent (id int PRIMARY KEY)`,
		`CREATE TABLE fk_child (id int PRIMARY KEY, parent int REFERENCES fk_parent (id))`,
		`GRANT ALL ON fk_parent, fk_child TO PUBLIC`,
	} {
		if _, err := db.admin.Exec(q); err != nil { // owned by the superuser, not the seed's role
			t.Fatal(err)
		}
	}
	for _, tt := range []struct{ table, want string }{
		{"no_such_table", `list foreign keys: ERROR: relation "no_such_table" does not exist`},
		{"fk_child", "drop foreign key fk_child_parent_fkey for the copy: ERROR: must be owner of table fk_child"},
	} {
		t.Run(tt.table, func(t *testing.T) {
			seed := func(ctx context.Context, d deps) error {
				_, err := seedengine.CopyFrom(ctx, pgx.Identifier{tt.table}, []string{"id", "parent"},
					pgx.CopyFromRows([][]any{{1, nil}}), seedengine.RevalidateForeignKeys())
				return err
			}
			s := set(config.Development, "", []string{"0001_copy"}, map[string]seedengine.Func[deps]{"0001_copy": seed})
			_, err := newRunner(t, db, config.Development, s).Run(context.Background(), seedengine.RunOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run = %v; want an error containing %q", err, tt.want)
			}
			if n := count(t, db, `SELECT count(*) FROM fk_child`); n != 0 {
				t.Errorf("%d rows copied despite the refusal", n)
			}
		})
	}
}
