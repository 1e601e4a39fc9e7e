package sqllog_test

import (
	"testing"

	"github.com/central/central/internal/sqllog"
)

// TestShape: rows and placeholder lists collapse only where they are SQL
// structure; parentheses, commas and placeholders inside literals, quoted
// identifiers, dollar quotes and comments are text.
//
// Deliberate bug it catches: cutting the first row at the first ")" and
// counting rows by "),", as Shape did (the "literal" cases printed
// "VALUES ('a), …(2 rows)": a cut literal and a wrong count).
func TestShape(t *testing.T) {
	tests := []struct {
		name, query, want string
	}{
		{"rows", `INSERT INTO "t" ("a", "b") VALUES ($1, $2), ($3, $4), ($5, $6)`,
			`INSERT INTO "t" ("a", "b") VALUES ($1, $2), …(3 rows)`},
		{"one row", `INSERT INTO t (a) VALUES ($1)`, `INSERT INTO t (a) VALUES ($1)`},
		{"literal with )", `INSERT INTO t (a, b) VALUES ('a)b', $1), ('c', $2)`,
			`INSERT INTO t (a, b) VALUES ('a)b', $1), …(2 rows)`},
		{"literal with ),", `INSERT INTO t (a, b) VALUES ('x), (y', $1), ('z', $2), ('w', $3)`,
			`INSERT INTO t (a, b) VALUES ('x), (y', $1), …(3 rows)`},
		{"doubled quote", `INSERT INTO t (a, b) VALUES ('it''s)', $1), ($2, $3)`,
			`INSERT INTO t (a, b) VALUES ('it''s)', $1), …(2 rows)`},
		{"escape string", `INSERT INTO t (a, b) VALUES (E'a\')b', $1), ($2, $3)`,
			`INSERT INTO t (a, b) VALUES (E'a\')b', $1), …(2 rows)`},
		{"quoted identifier", `INSERT INTO "we)ird" ("a)", "b") VALUES ($1, $2), ($3, $4)`,
			`INSERT INTO "we)ird" ("a)", "b") VALUES ($1, $2), …(2 rows)`},
		{"nested calls", `INSERT INTO t (a, b) VALUES (now(), $1), (now(), $2)`,
			`INSERT INTO t (a, b) VALUES (now(), $1), …(2 rows)`},
		{"rows in a subquery", `SELECT * FROM (VALUES ($1), ($2), ($3)) v`,
			`SELECT * FROM (VALUES ($1), …(3 rows)) v`},
		{"placeholders", `SELECT * FROM "users" WHERE "id" IN ($1, $2, $3, $4, $5, $6)`,
			`SELECT * FROM "users" WHERE "id" IN ($1, …, $6 (6 values))`},
		{"four placeholders", `SELECT * FROM u WHERE id IN ($1, $2, $3, $4)`,
			`SELECT * FROM u WHERE id IN ($1, $2, $3, $4)`},
		{"wide first row", `INSERT INTO t VALUES ($1, $2, $3, $4, $5), ($6, $7, $8, $9, $10)`,
			`INSERT INTO t VALUES ($1, …, $5 (5 values)), …(2 rows)`},
		{"placeholders in a literal", `SELECT '$1, $2, $3, $4, $5, $6'`, `SELECT '$1, $2, $3, $4, $5, $6'`},
		{"dollar quote", `DO $$ BEGIN PERFORM f((1), (2)); END $$`, `DO $$ BEGIN PERFORM f((1), (2)); END $$`},
		{"tagged dollar quote", `SELECT $q$(1), (2)$q$, $1`, `SELECT $q$(1), (2)$q$, $1`},
		{"line comment", "SELECT 1 -- (a), (b)\n, 2", "SELECT 1 -- (a), (b)\n, 2"},
		{"block comment", `SELECT /* (a), /* (b) */ (c) */ 1`, `SELECT /* (a), /* (b) */ (c) */ 1`},
		{"unterminated literal", `SELECT 'abc), (d`, `SELECT 'abc), (d`},
		{"unbalanced", `SELECT ((1), (2)`, `SELECT ((1), (2)`},
		{"empty", ``, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sqllog.Shape(tt.query); got != tt.want {
				t.Errorf("Shape(%q)\n got %q\nwant %q", tt.query, got, tt.want)
			}
		})
	}
}
