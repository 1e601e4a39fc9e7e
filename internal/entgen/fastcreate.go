package entgen

import (
	"fmt"
	"path"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/entc/gen"
	"entgo.io/ent/schema/field"
)

// FastCreate is what template/fastcreate.tmpl needs to write a create
// builder's direct INSERT: the statement sqlgraph.CreateNode builds for one
// node, in its column order, with its argument values, as plain code.
//
// Why: of a single create, ent spends about two thirds of its CPU and
// three quarters of its allocations in createSpec and sqlgraph.CreateNode
// (field specs, the SQL builder quoting each column, boxing), work whose
// result depends only on which columns the mutation sets. The generated
// path does the same with the quoted names and the full statement worked
// out here, once, with ent's own builder, so the text is ent's byte for
// byte (the pgx statement cache keys on it). TestFastCreateMatchesEnt
// compares the two paths statement by statement.
type FastCreate struct {
	// Columns in the order CreateNode writes them: the mutation's fields
	// (schema order), the foreign keys of M2O edges, of inverse O2O edges,
	// then the ID.
	Columns []FastColumn
	// External are the edges that CreateNode stores outside the row (O2M,
	// M2M, O2O that is not inverse): a create that sets one keeps ent's
	// path, which wraps the statements in a transaction.
	External []*gen.Edge
	// Prefix is `INSERT INTO "table" `, Query the whole statement with every
	// column set (the template writes them with goLiteral).
	Prefix, Query string
	// Upsert: the builder has ent's conflict field (FeatureUpsert); a
	// create with an ON CONFLICT clause keeps ent's path.
	Upsert bool
}

// FastColumn is one column of FastCreate: exactly one of Field, Edge and
// ID is set.
type FastColumn struct {
	Field  *gen.Field
	Edge   *gen.Edge
	ID     bool
	Name   string // the column
	Quoted string // Name as ent's builder quotes it
}

// fastCreateFuncs are the template functions of template/fastcreate.tmpl
// (goLiteral is fastquery.tmpl's as well).
var fastCreateFuncs = map[string]any{"fastCreate": fastCreate, "goLiteral": goLiteral}

// fastCreate returns node n's FastCreate, or nil when n keeps ent's
// generic create only: a node without a single ID that the builder sets
// (the database would make it, and ent reads it back with RETURNING), a
// view, a node with an external ValueScanner, a storage schema per node
// (sql/schemaconfig), or a column whose Go type changes the statement's
// text in ent's builder (see argumentSafe).
func fastCreate(n *gen.Type) (*FastCreate, error) {
	if n.IsView() || !n.HasOneFieldID() || !n.ID.UserDefined || n.HasValueScanner() {
		return nil, nil
	}
	fc := &FastCreate{}
	if n.Config != nil {
		if on, _ := n.Config.FeatureEnabled(gen.FeatureSchemaConfig.Name); on {
			return nil, nil
		}
		fc.Upsert, _ = n.Config.FeatureEnabled(gen.FeatureUpsert.Name)
		// A template that changes the spec of a create or of its edges
		// would change what CreateNode sends, which fastCreate would not.
		for _, t := range n.Config.Templates {
			for _, d := range t.Templates() {
				for _, p := range []string{"dialect/sql/create/spec/*", "dialect/sql/defedge/spec/*"} {
					if ok, _ := path.Match(p, d.Name()); ok {
						return nil, nil
					}
				}
			}
		}
	}
	column := func(name string, c FastColumn) FastColumn {
		c.Name, c.Quoted = name, ident(name)
		return c
	}
	for _, f := range n.MutationFields() {
		fc.Columns = append(fc.Columns, column(f.StorageKey(), FastColumn{Field: f}))
	}
	var o2o []FastColumn
	for _, e := range n.EdgesWithID() {
		switch {
		case e.M2O():
			fc.Columns = append(fc.Columns, column(e.Rel.Column(), FastColumn{Edge: e}))
		case e.O2O() && e.IsInverse():
			o2o = append(o2o, column(e.Rel.Column(), FastColumn{Edge: e}))
		default:
			// O2M, M2M and O2O that is not inverse (a Bidi one included:
			// CreateNode opens a transaction for it).
			fc.External = append(fc.External, e)
		}
	}
	fc.Columns = append(fc.Columns, o2o...)
	fc.Columns = append(fc.Columns, column(n.ID.StorageKey(), FastColumn{ID: true}))
	for _, c := range fc.Columns {
		t := n.ID.Type
		switch {
		case c.Field != nil:
			t = c.Field.Type
		case c.Edge != nil:
			t = c.Edge.Type.ID.Type
		}
		if (c.Field == nil || !c.Field.IsJSON()) && !argumentSafe(t) {
			return nil, nil
		}
	}
	insert := entsql.Dialect(dialect.Postgres).Insert(n.Table())
	for i, c := range fc.Columns {
		insert.Set(c.Name, i)
	}
	q, args, err := insert.QueryErr()
	if err != nil || len(args) != len(fc.Columns) {
		return nil, fmt.Errorf("entgen: %s: build the INSERT with ent's builder: %v (%d arguments)", n.Name, err, len(args))
	}
	var b entsql.Builder
	b.SetDialect(dialect.Postgres)
	fc.Query, fc.Prefix = q, b.WriteString("INSERT INTO ").Ident(n.Table()).Pad().String()
	return fc, nil
}

// goLiteral is s as a Go string literal, raw when it can be (a statement
// reads better without escaped quotes).
func goLiteral(s string) string {
	if strings.ContainsAny(s, "`\r") || !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	return "`" + s + "`"
}

// ident is name as ent's builder writes an identifier for PostgreSQL.
func ident(name string) string {
	var b entsql.Builder
	b.SetDialect(dialect.Postgres)
	return b.Ident(name).String()
}

// argumentSafe reports whether ent's builder writes a value of Go type t
// as a plain "$n" placeholder with the value as its argument. It does not
// for a nil interface (NULL, no argument), an sql.Querier (an embedded
// expression) or an sql.ParamFormatter (a wrapped placeholder); a Go type
// that is an interface or has a Query or FormatParam method (on T or *T)
// could be one of them, so its node keeps ent's path.
func argumentSafe(t *field.TypeInfo) bool {
	if t == nil || t.RType == nil {
		return true // a basic type (string, time.Time, ...)
	}
	if t.RType.Kind == reflect.Interface {
		return false
	}
	_, query := t.RType.Methods["Query"]
	_, format := t.RType.Methods["FormatParam"]
	return !query && !format
}
