package entgen

import (
	"fmt"
	"reflect"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/entc/gen"
	"entgo.io/ent/schema/field"

	"github.com/central/central/internal/mixin"
)

// The read path's generated code (template/fastquery.tmpl) replaces the two
// costs ent's generic sqlAll pays on every query that BenchmarkReadPath and
// internal/db's BenchmarkCompare measured, without changing the SQL sent or
// the entities returned:
//
//   - the select list: sqlgraph quotes and qualifies every column through
//     ent's SQL builder on every query (four allocations a column, a third of
//     a get-by-id's). For the common shape (every column, no traversal, no
//     Select) the generated code hands sqlgraph the list ent would build,
//     quoted once at generation time; ent's builder passes a qualified name
//     through unchanged, so the statement text is byte-identical
//     (TestFastReadSQLMatchesEnt);
//   - the scan targets: ent's scanValues allocates a fresh target per column
//     per row (ten allocations a row for users). The generated row scan makes
//     them once per query and zeroes them before every row; targets it cannot
//     prove safe to reuse are still made per row, exactly as ent makes them.

// rowFields are node n's columns in the order of ent's generated Columns:
// the ID, then the fields.
func rowFields(n *gen.Type) []*gen.Field { return append([]*gen.Field{n.ID}, n.Fields...) }

// ScanSlot is one column of an entity's generated row scan.
type ScanSlot struct {
	// Column is the Go constant naming the column in the entity's package
	// (FieldID, FieldEmail, ...).
	Column string
	// Name is the field holding the target in the row struct.
	Name string
	// Type is the target's type, as ent's scanValues allocates it.
	Type string
	// Reuse tells whether the target may be reused across rows (zeroed
	// before each): see reusable.
	Reuse bool
}

// scanSlots returns node n's columns in Columns order with their scan
// targets.
func scanSlots(n *gen.Type) []ScanSlot {
	fields := rowFields(n)
	slots := make([]ScanSlot, 0, len(fields))
	for i, f := range fields {
		slots = append(slots, ScanSlot{
			Column: f.Constant(),
			Name:   fmt.Sprintf("c%d", i),
			Type:   f.ScanType(),
			Reuse:  reusable(f),
		})
	}
	return slots
}

// reusable reports whether field f's scan target can serve every row of a
// result when zeroed before each: true when ent's assignValues copies the
// target's value out (rather than keeping the pointer or anything it points
// to) and the value holds no reference a later Scan could write through.
// That is database/sql's nullable scalars (sql.NullString, ...), JSON
// (assignValues decodes the bytes at once), and Go types with their own
// Scan (IDs) whose kind is a scalar or an array, which a copy detaches. Any
// other type (bytes, which assignValues keeps; slices, maps, pointers and
// structs with a Scan method; external ValueScanners; sql.NullScanner
// wrappers) gets a fresh target per row, as ent makes it.
func reusable(f *gen.Field) bool {
	if f.HasValueScanner() {
		return false
	}
	if f.Type.ValueScanner() {
		if f.Nillable {
			return false
		}
		switch f.Type.RType.Kind {
		case reflect.Array, reflect.Bool, reflect.String,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
			reflect.Float32, reflect.Float64:
			return true
		}
		return false
	}
	switch f.Type.Type {
	case field.TypeJSON, field.TypeString, field.TypeEnum, field.TypeBool, field.TypeTime,
		field.TypeInt, field.TypeInt8, field.TypeInt16, field.TypeInt32, field.TypeInt64,
		field.TypeUint, field.TypeUint8, field.TypeUint16, field.TypeUint32, field.TypeUint64,
		field.TypeFloat32, field.TypeFloat64:
		return true
	}
	return false
}

// FastGet is what template/fastquery.tmpl needs to write a get by ID
// without ent's SQL builder: the statements sqlgraph builds for one,
// worked out here with ent's own builder.
//
// Why: the generated Get methods of the read-only client and of the tenant
// scopes are the reads a request makes most, and of a get by ID ent spent
// about half its CPU building the selector and its SQL text, whose result
// depends only on the entity (and the scope). The query still goes
// through Only's steps (traversers, interceptors, the row scan, not found),
// and takes the fast path only if, after the interceptors, it is still
// exactly what the Get built (fastGetReady in the generated code);
// TestFastGetMatchesEnt compares it with ent's path for every entity.
type FastGet struct {
	// SelectList is ent's Columns as its builder writes them in a select
	// list on PostgreSQL (qualified by the table, quoted, comma-separated),
	// which full-row reads hand sqlgraph instead of the names.
	SelectList string
	// Query selects by ID: `SELECT <list> FROM "t" WHERE "t"."id" = $1 LIMIT 2`.
	Query string
	// Scoped adds the tenant scope's predicate first, as ScopedClient.Get
	// builds it: `... WHERE "t"."tenant_id" = $1 AND "t"."id" = $2 LIMIT 2`;
	// "" unless the entity is TenantOwned.
	Scoped string
	// TenantType is the Go type of the tenant_id field (with Scoped).
	TenantType string
}

// fastGet returns node n's FastGet, or nil when its gets keep ent's path:
// no single-field ID, a view, storage schemas per node (sql/schemaconfig,
// which qualifies the table) or named edges (eager loads the fast path
// does not check for).
func fastGet(n *gen.Type) (*FastGet, error) {
	if n.IsView() || !n.HasOneFieldID() {
		return nil, nil
	}
	if n.Config != nil {
		for _, f := range []gen.Feature{gen.FeatureSchemaConfig, gen.FeatureNamedEdges} {
			if on, _ := n.Config.FeatureEnabled(f.Name); on {
				return nil, nil
			}
		}
	}
	columns := make([]string, 0, len(n.Fields)+1)
	for _, f := range rowFields(n) {
		columns = append(columns, f.StorageKey())
	}
	// As sqlgraph's selector builds it: the table, its columns, the
	// predicates in the order the Get adds them, Only's LIMIT 2.
	selector := func() *entsql.Selector {
		b := entsql.Dialect(dialect.Postgres)
		return b.Select().From(b.Table(n.Table()))
	}
	build := func(where ...string) string {
		s := selector()
		s.Select(s.Columns(columns...)...)
		for _, c := range where {
			s.Where(entsql.EQ(s.C(c), c))
		}
		query, _ := s.Limit(2).Query()
		return query
	}
	s := selector()
	fg := &FastGet{SelectList: strings.Join(s.Columns(columns...), ", ")}
	fg.Query = build(n.ID.StorageKey())
	if t := TenancyOf(n); t.Owned && t.Via == "" {
		fg.Scoped = build(mixin.TenantIDField, n.ID.StorageKey())
		for _, f := range n.Fields {
			if f.Name == mixin.TenantIDField {
				fg.TenantType = f.Type.String()
			}
		}
		if fg.TenantType == "" {
			return nil, fmt.Errorf("%s: TenantOwned without a %s field", n.Name, mixin.TenantIDField)
		}
	}
	return fg, nil
}
