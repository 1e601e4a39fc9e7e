package entgen_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"

	entpkg "github.com/central/central/ent"
	"github.com/central/central/internal/entmeta"
	"github.com/central/central/internal/tenantctx"
)

// stmt is one statement a recordingDriver received.
type stmt struct {
	Exec   bool // Exec, else Query
	Query  string
	Args   []any
	Tenant string // the tenant of the statement's context (tenantctx), "" if none
	// SQLGraph: sent from inside entgo.io/ent/dialect/sql/sqlgraph, ent's
	// generic path; not compared, it says which path ran.
	SQLGraph bool
}

func (s stmt) String() string {
	return fmt.Sprintf("exec=%v tenant=%q %s %#v", s.Exec, s.Tenant, s.Query, s.Args)
}

// errNoRows answers every Query: a create reads back through Query only
// on ent's path (RETURNING for an upsert), which then fails alike on both
// clients.
var errNoRows = errors.New("recordingDriver: no rows")

// recordingDriver records every statement and answers without a
// database; transactions run on it as well (dialect.NopTx).
type recordingDriver struct{ stmts []stmt }

func (r *recordingDriver) record(ctx context.Context, exec bool, query string, args any) {
	s := stmt{Exec: exec, Query: query}
	if a, ok := args.([]any); ok {
		s.Args = slices.Clone(a)
	}
	if id, ok := tenantctx.From(ctx); ok {
		s.Tenant = id.String()
	}
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if strings.HasPrefix(f.Function, "entgo.io/ent/dialect/sql/sqlgraph.") {
			s.SQLGraph = true
			break
		}
		if !more {
			break
		}
	}
	r.stmts = append(r.stmts, s)
}

func (r *recordingDriver) Exec(ctx context.Context, query string, args, v any) error {
	r.record(ctx, true, query, args)
	if res, ok := v.(*entsql.Result); ok {
		*res = execResult{}
	}
	return nil
}

func (r *recordingDriver) Query(ctx context.Context, query string, args, _ any) error {
	r.record(ctx, false, query, args)
	return errNoRows
}

func (r *recordingDriver) Tx(context.Context) (dialect.Tx, error) { return dialect.NopTx(r), nil }
func (r *recordingDriver) Close() error                           { return nil }
func (r *recordingDriver) Dialect() string                        { return dialect.Postgres }

// createCase is one create of an entity, saved through both paths.
type createCase struct {
	name   string
	fields []string // the fields set (by schema name; the ID as "id")
	scoped bool     // through ForTenant (tenant-owned entities; tenant_id preset)
	edge   *gen.Edge
	upsert bool
}

// TestFastCreateMatchesEnt saves creates of every entity of ent.Entities()
// through the generated direct INSERT (fastCreate) and through ent's own
// createSpec and sqlgraph.CreateNode (a client made WithoutFastPaths),
// each over a recording driver, and requires the same statements: text,
// arguments (types and values), the tenant of their context, plus the same
// error and the same returned entity. The cases come from the schema as ent
// loads it: the required fields only (optional columns left out, defaults
// filled by ent), every field, each optional field alone, through the tenant
// scope, with an edge stored in another table, and as an upsert; string
// values are picked per field from a few candidates until the validators
// pass. The plain creates must take the fast path (no sqlgraph frame on the
// stack) and the others ent's path, on both clients.
//
// Deliberate bugs it catches (each tried, in template/fastcreate.tmpl):
// a column dropped from fastCreate (updated_at), two arguments swapped,
// the JSON field passed without marshalling, the ID passed by value where
// ent passes a pointer, a placeholder too many in the partial-column
// statement, fastCreatable ignoring the edges stored in other tables, and
// the mutation not marked done.
func TestFastCreateMatchesEnt(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the schema with go run (a few seconds): not in -short")
	}
	g, err := entc.LoadGraph("../../ent/schema", &gen.Config{})
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[string]*gen.Type{}
	for _, n := range g.Nodes {
		nodes[n.Name] = n
	}
	entities := entpkg.Entities()
	if len(entities) != len(g.Nodes) {
		t.Fatalf("ent.Entities() lists %d entities, the schema has %d", len(entities), len(g.Nodes))
	}
	fastEntities := 0
	for _, e := range entities {
		n := nodes[e.Name]
		if n == nil {
			t.Fatalf("%s: in ent.Entities() but not in the schema", e.Name)
		}
		t.Run(e.Name, func(t *testing.T) {
			values := validValues(t, n, e)
			fast := 0
			for _, c := range createCases(n, e) {
				t.Run(c.name, func(t *testing.T) {
					if compareCreate(t, n, e, c, values) {
						fast++
					}
				})
			}
			if fast > 0 {
				fastEntities++
			}
		})
	}
	if fastEntities != len(entities) {
		t.Errorf("%d of %d entities took the fast path", fastEntities, len(entities))
	}
}

// createCases are the creates of n to compare.
func createCases(n *gen.Type, e entmeta.Entity) []createCase {
	var required, all, optional []string
	for _, f := range n.Fields {
		all = append(all, f.Name)
		switch {
		case f.Optional && !f.Default:
			optional = append(optional, f.Name)
		case !f.Optional && !f.Default:
			required = append(required, f.Name)
		}
	}
	if !n.ID.Default {
		required = append(required, "id") // e.g. AppMeta's key
	}
	all = append(all, "id")
	cases := []createCase{{name: "required", fields: required}, {name: "all", fields: all}}
	for _, f := range optional {
		cases = append(cases, createCase{name: "required+" + f, fields: append(slices.Clone(required), f)})
	}
	if e.Tenancy == entmeta.TenantOwned {
		cases = append(cases, createCase{name: "scoped", fields: slices.DeleteFunc(slices.Clone(required), func(f string) bool {
			return f == e.TenantColumn
		}), scoped: true})
	}
	for _, ed := range n.Edges {
		if !ed.OwnFK() && !ed.Type.HasCompositeID() {
			cases = append(cases, createCase{name: "edge-" + ed.Name, fields: required, edge: ed})
		}
	}
	cases = append(cases, createCase{name: "upsert", fields: all, upsert: true})
	return cases
}

// compareCreate saves case c of n on a fast and a WithoutFastPaths
// client and compares what they send and return; it reports whether the
// fast client took the fast path.
func compareCreate(t *testing.T, n *gen.Type, e entmeta.Entity, c createCase, values map[string]reflect.Value) bool {
	fastRec, slowRec := &recordingDriver{}, &recordingDriver{}
	fastClient := entpkg.NewClient(entpkg.Driver(fastRec))
	slowClient := entpkg.NewClient(entpkg.Driver(slowRec), entpkg.WithoutFastPaths())
	tid := [16]byte{0xaa, 1}
	build := func(client *entpkg.Client) reflect.Value {
		var entClient reflect.Value
		if c.scoped {
			scope := reflect.ValueOf(client).MethodByName("ForTenant")
			entClient = scope.Call([]reflect.Value{reflect.ValueOf(tid).Convert(scope.Type().In(0))})[0].Elem().FieldByName(n.Name)
		} else {
			entClient = reflect.ValueOf(client).Elem().FieldByName(n.Name)
		}
		b := entClient.MethodByName("Create").Call(nil)[0]
		for _, f := range c.fields {
			setter := "SetID"
			if f != "id" {
				setter = fieldByName(n, f).MutationSet()
			}
			b.MethodByName(setter).Call([]reflect.Value{values[f]})
		}
		if c.edge != nil {
			add := b.MethodByName(c.edge.MutationAdd())
			add.Call([]reflect.Value{sample(add.Type().In(0).Elem())})
		}
		return b
	}
	ctx := context.Background()
	if !c.scoped {
		ctx = entpkg.CrossTenant(ctx)
	}
	var (
		fastNode, slowNode any
		fastErr, slowErr   error
	)
	call := func(m reflect.Value, args ...reflect.Value) (any, error) {
		out := m.Call(args)
		err, _ := out[len(out)-1].Interface().(error)
		if len(out) == 1 {
			return nil, err
		}
		return out[0].Interface(), err
	}
	if c.upsert {
		// The ON CONFLICT clause lives in the builder, so each client gets
		// its own, set alike (every field explicit, nothing from defaults).
		for _, side := range []struct {
			client *entpkg.Client
			err    *error
		}{{fastClient, &fastErr}, {slowClient, &slowErr}} {
			up := build(side.client).MethodByName("OnConflictColumns").Call([]reflect.Value{reflect.ValueOf(n.ID.StorageKey())})[0]
			_, *side.err = call(up.MethodByName("Ignore").Call(nil)[0].MethodByName("Exec"), reflect.ValueOf(ctx))
		}
	} else {
		// One builder, saved on the fast client, then its mutation (with
		// the values ent's defaults put in it) on the slow one.
		b := build(fastClient)
		fastNode, fastErr = call(b.MethodByName("Save"), reflect.ValueOf(ctx))
		mv := b.MethodByName("Mutation").Call(nil)[0]
		if !mv.Elem().FieldByName("done").Bool() {
			t.Errorf("the mutation is not marked done after the create")
		}
		m := mv.Interface().(entpkg.Mutation)
		slowNode, slowErr = slowClient.Mutate(ctx, m)
	}
	if fmt.Sprint(fastErr) != fmt.Sprint(slowErr) {
		t.Errorf("errors differ:\nfast %v\nent  %v", fastErr, slowErr)
	}
	if fastErr != nil && !errors.Is(fastErr, errNoRows) {
		t.Fatalf("create failed: %v", fastErr)
	}
	if len(fastRec.stmts) == 0 || len(fastRec.stmts) != len(slowRec.stmts) {
		t.Fatalf("%d statements on the fast client, %d through ent:\nfast %v\nent  %v", len(fastRec.stmts), len(slowRec.stmts), fastRec.stmts, slowRec.stmts)
	}
	wantFast := n.ID.UserDefined && !c.upsert && c.edge == nil
	for i := range fastRec.stmts {
		f, s := fastRec.stmts[i], slowRec.stmts[i]
		if f.SQLGraph == wantFast {
			t.Errorf("statement %d went through sqlgraph=%v on the fast client, want %v: %v", i, f.SQLGraph, !wantFast, f)
		}
		if !s.SQLGraph {
			t.Errorf("statement %d of the WithoutFastPaths client did not go through sqlgraph: %v", i, s)
		}
		f.SQLGraph, s.SQLGraph = false, false
		if !reflect.DeepEqual(f, s) {
			t.Errorf("statement %d differs:\nfast %v\nent  %v", i, f, s)
		}
	}
	if c.scoped && fastRec.stmts[0].Tenant == "" {
		t.Errorf("scoped create sent without the tenant in its context: %v", fastRec.stmts[0])
	}
	if !c.upsert {
		compareNodes(t, fastNode, slowNode)
	}
	return wantFast
}

// compareNodes requires two saved entities to be equal but for their
// clients' configs.
func compareNodes(t *testing.T, a, b any) {
	t.Helper()
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	if va.Type() != vb.Type() {
		t.Fatalf("entity types differ: %v, %v", va.Type(), vb.Type())
	}
	for i := range va.NumField() {
		sf := va.Type().Field(i)
		if sf.Name == "config" {
			continue
		}
		var x, y any
		if sf.IsExported() {
			x, y = va.Field(i).Interface(), vb.Field(i).Interface()
		} else {
			x, y = fmt.Sprintf("%v", va.Field(i)), fmt.Sprintf("%v", vb.Field(i))
		}
		if !reflect.DeepEqual(x, y) {
			t.Errorf("returned %s.%s differs: fast %v, ent %v", va.Type().Name(), sf.Name, x, y)
		}
	}
}

func fieldByName(n *gen.Type, name string) *gen.Field {
	for _, f := range n.Fields {
		if f.Name == name {
			return f
		}
	}
	panic(fmt.Sprintf("%s has no field %q", n.Name, name))
}

// stringCandidates are tried in turn for a string field until its
// validators accept one: a slug/tag key/bucket, an e-mail address, an
// issuer URL, a SHA-256 in hex.
var stringCandidates = []string{
	"sample-value",
	"someone@example.com",
	"https://issuer.example.com",
	strings.Repeat("0123456789abcdef", 4),
}

// validValues returns a value for every field of n (and its ID) that the
// builder's validators accept: typed from the setters, enums from their
// values, strings from stringCandidates.
func validValues(t *testing.T, n *gen.Type, e entmeta.Entity) map[string]reflect.Value {
	t.Helper()
	client := entpkg.NewClient(entpkg.Driver(&recordingDriver{}))
	builder := func() reflect.Value {
		return reflect.ValueOf(client).Elem().FieldByName(n.Name).MethodByName("Create").Call(nil)[0]
	}
	b := builder()
	values := map[string]reflect.Value{}
	candidate := map[string]int{}
	fields := append(slices.Clone(n.Fields), n.ID)
	for _, f := range fields {
		setter := f.MutationSet()
		if f == n.ID {
			setter = "SetID"
		}
		m := b.MethodByName(setter)
		if !m.IsValid() {
			t.Fatalf("%s: no builder method %s for field %s", n.Name, setter, f.Name)
		}
		typ := m.Type().In(0)
		switch {
		case f.IsEnum():
			values[f.Name] = reflect.ValueOf(f.Enums[len(f.Enums)-1].Value).Convert(typ)
		case typ.Kind() == reflect.String:
			values[f.Name] = reflect.ValueOf(stringCandidates[0]).Convert(typ)
		default:
			values[f.Name] = sample(typ)
		}
	}
	// Save with every field set until no string field fails validation.
	ctx := entpkg.CrossTenant(context.Background())
	for range len(fields) * len(stringCandidates) {
		b := builder()
		for _, f := range fields {
			setter := f.MutationSet()
			if f == n.ID {
				setter = "SetID"
			}
			b.MethodByName(setter).Call([]reflect.Value{values[f.Name]})
		}
		out := b.MethodByName("Save").Call([]reflect.Value{reflect.ValueOf(ctx)})
		err, _ := out[1].Interface().(error)
		var verr *entpkg.ValidationError
		if err == nil {
			return values
		}
		if !errors.As(err, &verr) {
			t.Fatalf("%s: sample create failed: %v", n.Name, err)
		}
		name := verr.Name
		typ := values[name].Type()
		if typ.Kind() != reflect.String || candidate[name]+1 >= len(stringCandidates) {
			t.Fatalf("%s: no sample value passes the validators of %s: %v (add a candidate to stringCandidates)", n.Name, name, err)
		}
		candidate[name]++
		values[name] = reflect.ValueOf(stringCandidates[candidate[name]]).Convert(typ)
	}
	t.Fatalf("%s: no sample values pass the validators", n.Name)
	return nil
}

// sample is a non-zero value of typ where it can easily be one.
func sample(typ reflect.Type) reflect.Value {
	v := reflect.New(typ).Elem()
	switch typ.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	case reflect.String:
		v.SetString(stringCandidates[0])
	case reflect.Array:
		for i := range v.Len() {
			v.Index(i).Set(sample(typ.Elem()))
			if typ.Elem().Kind() == reflect.Uint8 {
				v.Index(i).SetUint(uint64(i + 1))
			}
		}
	case reflect.Slice:
		v = reflect.MakeSlice(typ, 1, 1)
		v.Index(0).Set(sample(typ.Elem()))
	case reflect.Pointer:
		v = reflect.New(typ.Elem())
		v.Elem().Set(sample(typ.Elem()))
	case reflect.Struct:
		if typ == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)))
		}
	}
	return v
}
