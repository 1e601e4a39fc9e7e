package entgen_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"testing"

	"entgo.io/ent"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqlgraph"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"entgo.io/ent/schema/field"

	entpkg "github.com/central/central/ent"
	"github.com/central/central/ent/user"
	"github.com/central/central/internal/entgen"
	"github.com/central/central/internal/entityid"
)

// TestSelectListMatchesEntBuilder proves, for every entity of the real
// ent/schema (walked from the loaded graph, not listed), that the select list
// the generated fast read path hands sqlgraph makes the very statement ent's
// builder makes from the column names, byte for byte: the same text keeps
// pgx's statement cache and the server's plans, and a column missed, added
// or reordered by FastGet.SelectList (or a change in how ent quotes) fails here.
func TestSelectListMatchesEntBuilder(t *testing.T) {
	g, err := entc.LoadGraph("../../ent/schema", &gen.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) == 0 {
		t.Fatal("no entities loaded")
	}
	for _, n := range g.Nodes {
		t.Run(n.Name, func(t *testing.T) {
			fg, err := entgen.FastGetOf(n)
			if err != nil || fg == nil {
				t.Fatalf("no fast path for %s: %v", n.Name, err)
			}
			list := fg.SelectList
			columns := []string{n.ID.StorageKey()}
			for _, f := range n.Fields { // ent's Columns, as generated
				columns = append(columns, f.StorageKey())
			}
			statement := func(cols []string) string {
				t.Helper()
				spec := sqlgraph.NewQuerySpec(n.Table(), cols, sqlgraph.NewFieldSpec(n.ID.StorageKey(), n.ID.Type.Type))
				spec.Predicate = func(s *entsql.Selector) { s.Where(entsql.EQ(s.C(n.ID.StorageKey()), 7)) }
				spec.Order = func(s *entsql.Selector) { s.OrderBy(entsql.Desc(s.C(n.ID.StorageKey()))) }
				spec.Limit, spec.Offset = 2, 1
				spec.ScanValues = func([]string) ([]any, error) { return nil, errors.New("no rows expected") }
				spec.Assign = func([]string, []any) error { return errors.New("no rows expected") }
				rec := &recordingDriver{}
				if err := sqlgraph.QueryNodes(context.Background(), rec, spec); !errors.Is(err, errNoRows) || len(rec.stmts) != 1 {
					t.Fatalf("QueryNodes: %v, %d statements", err, len(rec.stmts))
				}
				return rec.stmts[0].Query
			}
			want, got := statement(columns), statement([]string{list})
			if got != want {
				t.Errorf("fast select list makes\n  %s\nent's builder makes\n  %s", got, want)
			}
			if !strings.Contains(want, `"`+n.Table()+`"."`+n.ID.StorageKey()+`"`) {
				t.Errorf("statement %q does not select the qualified ID: the comparison is vacuous", want)
			}
		})
	}
}

// scanKinds covers every kind of field reusable decides on.
type scanKinds struct{ ent.Schema }

type structScanner struct{ raw []byte }

func (s *structScanner) Scan(src any) error {
	b, _ := src.([]byte)
	s.raw = append(s.raw[:0], b...)
	return nil
}
func (structScanner) Value() (driver.Value, error) { return nil, nil }

func (scanKinds) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", entityid.UserID{}),
		field.String("s"),
		field.String("opt").Optional(),
		field.String("nil").Optional().Nillable(),
		field.Enum("e").Values("a"),
		field.Time("t"),
		field.Int("i"),
		field.Bool("b"),
		field.Float("f"),
		field.JSON("j", map[string]int{}),
		field.Bytes("raw"),
		field.UUID("ref", entityid.TenantID{}),
		field.UUID("nilref", entityid.TenantID{}).Optional().Nillable(),
		field.Other("sc", &structScanner{}).SchemaType(map[string]string{dialect.Postgres: "bytea"}),
		field.Other("sv", structScanner{}).SchemaType(map[string]string{dialect.Postgres: "bytea"}),
	}
}

// TestReusable is the table of which scan targets may serve every row:
// those whose value assignValues copies out and which hold no reference.
// Reusing the bytes target (which assignValues keeps), a pointer or struct
// scanner (which may write through a kept reference), or a nillable
// scanner's sql.NullScanner would let one row's value change another's.
func TestReusable(t *testing.T) {
	g := graph(t, scanKinds{})
	want := map[string]bool{
		"id": true, "s": true, "opt": true, "nil": true, "e": true, "t": true, "i": true,
		"b": true, "f": true, "j": true, "raw": false, "ref": true, "nilref": false, "sc": false, "sv": false,
	}
	n := g.Nodes[0]
	for _, f := range append([]*gen.Field{n.ID}, n.Fields...) {
		w, ok := want[f.Name]
		if !ok {
			t.Errorf("field %s missing from the table", f.Name)
			continue
		}
		if got := entgen.Reusable(f); got != w {
			t.Errorf("reusable(%s %s) = %v, want %v", f.Name, f.Type, got, w)
		}
	}
	slots := entgen.ScanSlots(n)
	if len(slots) != len(n.Fields)+1 || slots[0].Column != "FieldID" {
		t.Errorf("scanSlots = %+v, want the ID then every field", slots)
	}
}

// sparseRows answer a users query with two rows; the second leaves the
// targets of its NULL columns (display_name, profile) as they are, which a
// driver may: it is the generated row scan that must hand every row zeroed
// targets (ent's scanValues made new ones per row).
type sparseRows struct{ cannedRows }

func (r *sparseRows) Scan(dest ...any) error {
	for i, v := range dest {
		switch col := cannedColumns[i]; {
		case r.i == 2 && (col == user.FieldDisplayName || col == user.FieldProfile):
			continue // NULL, target untouched
		case col == user.FieldProfile:
			*v.(*[]byte) = []byte(`{"title": "first"}`)
		case col == user.FieldDisplayName:
			*v.(*sql.NullString) = sql.NullString{String: "First", Valid: true}
		default:
			if err := r.cannedRows.Scan(dest[i : i+1]...); err != nil {
				return err
			}
		}
	}
	return nil
}

type sparseDriver struct{ cannedDriver }

func (sparseDriver) Query(_ context.Context, _ string, _, v any) error {
	*v.(*entsql.Rows) = entsql.Rows{ColumnScanner: &sparseRows{cannedRows{n: 2}}}
	return nil
}

// TestRowScanZeroesTargetsPerRow: the generated row scan reuses its targets
// across the rows of a query and must zero them before each row, so a
// column the driver leaves alone reads as ent would read it (zero), not as
// the row before's value.
func TestRowScanZeroesTargetsPerRow(t *testing.T) {
	c := entpkg.NewClient(entpkg.Driver(sparseDriver{}))
	us, err := c.User.Query().All(entpkg.CrossTenant(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	if len(us) != 2 || us[0].Profile.Title != "first" || us[0].DisplayName != "First" {
		t.Fatalf("first row read as %v: the test's rows are not what it assumes", us)
	}
	if us[1].Profile.Title != "" || us[1].DisplayName != "" {
		t.Errorf("second row read the first row's values: profile %+v, display name %q", us[1].Profile, us[1].DisplayName)
	}
}
