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

// TestCopyRevalidatingForeignKeysKeepsThem: RevalidateForeignKeys drops a
// table's foreign key for the COPY and adds it back: afterwards the key
// exists again, and a copied row without its parent fails the seed at the
// re-add, saying so. Mutants: addForeignKeys returning at once (the key
// silently lost), its error swallowed (an orphan row committed).
func TestCopyRevalidatingForeignKeysKeepsThem(t *testing.T) {
	db := newTxDB(t, newTestDB(t))
	for _, q := range []string{ // owned by the seed's role, as the migrating role owns the app's tables
		`CREATE TABLE own_parent (id int PRIMARY KEY)`,
		`CREATE TABLE own_child (id int PRIMARY KEY, parent int CONSTRAINT own_child_parent_fkey REFERENCES own_parent (id))`,
		`INSERT INTO own_parent VALUES (1)`,
	} {
		if _, err := db.pool.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	copyRows := func(rows [][]any) seedengine.Func[deps] {
		return func(ctx context.Context, d deps) error {
			_, err := seedengine.CopyFrom(ctx, pgx.Identifier{"own_child"}, []string{"id", "parent"}, pgx.CopyFromRows(rows), seedengine.RevalidateForeignKeys())
			return err
		}
	}
	s := set(config.Development, "", []string{"0001_ok"}, map[string]seedengine.Func[deps]{"0001_ok": copyRows([][]any{{1, 1}})})
	if _, err := newRunner(t, db, config.Development, s).Run(context.Background(), seedengine.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM pg_constraint WHERE conname = 'own_child_parent_fkey'`); n != 1 {
		t.Fatalf("the foreign key is gone after the copy (%d constraints)", n)
	}
	s = set(config.Development, "", []string{"0001_ok", "0002_orphan"}, map[string]seedengine.Func[deps]{
		"0001_ok": copyRows([][]any{{1, 1}}), "0002_orphan": copyRows([][]any{{2, 99}})})
	_, err := newRunner(t, db, config.Development, s).Run(context.Background(), seedengine.RunOptions{})
	if err == nil || !strings.Contains(err.Error(), "re-add foreign key own_child_parent_fkey after the copy") {
		t.Fatalf("Run = %v; want the orphan refused at the re-added key", err)
	}
	if n := count(t, db, `SELECT count(*) FROM own_child`); n != 1 {
		t.Errorf("own_child has %d rows, want the first seed's only", n)
	}
}
