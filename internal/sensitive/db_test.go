package sensitive_test

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/sensitive"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// scratchTable creates a table with jsonb columns in a fresh database on a
// real PostgreSQL (dbtest) and returns its name with database/sql and pgx
// handles.
func scratchTable(t *testing.T) (string, *sql.DB, *pgxpool.Pool) {
	t.Helper()
	tdb := dbtest.New(t)
	db, pool := tdb.OpenDB(t), tdb.Pool(t)
	const name = "sealed_values"
	if _, err := db.ExecContext(context.Background(), `CREATE TABLE `+name+` (id int PRIMARY KEY, info jsonb, note text)`); err != nil {
		t.Fatal(err)
	}
	return name, db, pool
}

func TestPostgresJSONB(t *testing.T) {
	ctx := context.Background()
	table, db, pool := scratchTable(t)
	key := randomKey(t)
	kr := newKeyring(t, ref("local", 1), map[sensitive.KeyRef][]byte{ref("local", 1): key})
	sealed, err := sensitive.Seal(ctx, kr, doc)
	if err != nil {
		t.Fatal(err)
	}

	// Write through database/sql (as ent does) and through pgx.
	if _, err := db.ExecContext(ctx, `INSERT INTO `+table+` (id, info) VALUES (1, $1), (2, NULL)`, sealed); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO `+table+` (id, info) VALUES (3, $1)`, sealed); err != nil {
		t.Fatal(err)
	}

	// The raw bytes PostgreSQL holds are an envelope without the plaintext.
	rows, err := db.QueryContext(ctx, `SELECT id, info::text, jsonb_typeof(info), info->>'kid', (info->>'kver')::int FROM `+table+` WHERE info IS NOT NULL ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var id, kver int
		var raw, typ, kid string
		if err := rows.Scan(&id, &raw, &typ, &kid, &kver); err != nil {
			t.Fatal(err)
		}
		n++
		assertNoLeak(t, "stored jsonb", raw)
		// PostgreSQL's jsonb text (members reordered, spaces added) is what
		// every read scans: it must take the hand-written parser, or the
		// rekey job's speed silently falls back to encoding/json.
		if !sensitive.FastParses([]byte(raw)) {
			t.Errorf("row %d: the jsonb text of an envelope fell back to encoding/json: %s", id, raw)
		}
		if typ != "object" || kid != "local" || kver != 1 {
			t.Fatalf("row %d: jsonb %s kid=%s kver=%d", id, typ, kid, kver)
		}
	}
	if err := rows.Err(); err != nil || n != 2 {
		t.Fatalf("rows: %d, %v", n, err)
	}
	var leaked bool
	if err := db.QueryRowContext(ctx, `SELECT bool_or(strpos(info::text, $1) > 0 OR strpos(info::text, $2) > 0) FROM `+table,
		doc.Subject, doc.Email).Scan(&leaked); err != nil || leaked {
		t.Fatalf("plaintext search in PostgreSQL: leaked=%v err=%v", leaked, err)
	}

	// Read back through database/sql and pgx; NULL scans as zero.
	for _, id := range []int{1, 3} {
		var a, b sensitive.Sealed[secretDoc]
		if err := db.QueryRowContext(ctx, `SELECT info FROM `+table+` WHERE id = $1`, id).Scan(&a); err != nil {
			t.Fatal(err)
		}
		if err := pool.QueryRow(ctx, `SELECT info FROM `+table+` WHERE id = $1`, id).Scan(&b); err != nil {
			t.Fatal(err)
		}
		for _, s := range []sensitive.Sealed[secretDoc]{a, b} {
			got, err := sensitive.Open(ctx, kr, s)
			if err != nil || !reflect.DeepEqual(got, doc) {
				t.Fatalf("row %d: Open = %v", id, err)
			}
		}
	}
	var null sensitive.Sealed[secretDoc]
	if err := db.QueryRowContext(ctx, `SELECT info FROM `+table+` WHERE id = 2`).Scan(&null); err != nil || !null.IsZero() {
		t.Fatalf("NULL: %v zero=%v", err, null.IsZero())
	}
	if err := pool.QueryRow(ctx, `SELECT info FROM `+table+` WHERE id = 2`).Scan(&null); err != nil || !null.IsZero() {
		t.Fatalf("NULL via pgx: %v zero=%v", err, null.IsZero())
	}

	// A wrong or missing key fails clearly and changes nothing. Every read
	// is checked: an ignored error would leave before and after both empty
	// and the comparison below vacuous.
	var before string
	if err := db.QueryRowContext(ctx, `SELECT info::text FROM `+table+` WHERE id = 1`).Scan(&before); err != nil || before == "" {
		t.Fatalf("stored value before: %q, %v", before, err)
	}
	var stored sensitive.Sealed[secretDoc]
	if err := db.QueryRowContext(ctx, `SELECT info FROM `+table+` WHERE id = 1`).Scan(&stored); err != nil || stored.IsZero() {
		t.Fatalf("stored sealed value: zero=%v, %v", stored.IsZero(), err)
	}
	wrong := newKeyring(t, ref("local", 1), map[sensitive.KeyRef][]byte{ref("local", 1): randomKey(t)})
	if _, err := sensitive.Open(ctx, wrong, stored); !errors.Is(err, sensitive.ErrDecrypt) {
		t.Fatalf("wrong key: %v", err)
	}
	missing := newKeyring(t, ref("other", 1), map[sensitive.KeyRef][]byte{ref("other", 1): randomKey(t)})
	if _, _, err := sensitive.Rekey(ctx, missing, stored); !errors.Is(err, sensitive.ErrUnknownKey) {
		t.Fatalf("missing key: %v", err)
	}
	var after string
	if err := db.QueryRowContext(ctx, `SELECT info::text FROM `+table+` WHERE id = 1`).Scan(&after); err != nil {
		t.Fatalf("stored value after: %v", err)
	}
	if before != after {
		t.Fatal("a failed open changed the stored value")
	}
}

func TestPostgresRefusesPlaintext(t *testing.T) {
	ctx := context.Background()
	table, db, pool := scratchTable(t)
	plain := sensitive.New(doc)

	if _, err := db.ExecContext(ctx, `INSERT INTO `+table+` (id, info) VALUES (1, $1)`, plain); !errors.Is(err, sensitive.ErrPlaintextWrite) {
		t.Fatalf("database/sql insert of a Sensitive: %v", err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO `+table+` (id, info) VALUES (2, $1)`, plain); err == nil {
		t.Fatalf("pgx insert of a Sensitive succeeded")
	}
	if _, err := pool.Exec(ctx, `INSERT INTO `+table+` (id, note) VALUES (3, $1)`, plain); err == nil {
		t.Fatalf("pgx insert of a Sensitive into text succeeded")
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows written: %d (%v)", n, err)
	}
}
