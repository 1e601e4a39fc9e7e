package entgen

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"entgo.io/ent/schema/field"

	"github.com/central/central/internal/mixin"
	"github.com/central/central/internal/richid"
)

//go:embed template/*.tmpl
var templateFS embed.FS

// sensitivePkg is the package of sensitive.Sealed; a field whose Go type has
// its Key() sensitive.KeyRef method (embedded, as jsonb.SealedX types do) is
// a sealed column.
const sensitivePkg = "github.com/central/central/internal/sensitive"

// Extension is Central's entc extension; see the package documentation.
type Extension struct {
	entc.DefaultExtension
}

// New returns the extension.
func New() *Extension { return &Extension{} }

// Templates returns the read-only client, rich-ID, tenant-scope and
// metadata templates.
func (*Extension) Templates() []*gen.Template {
	t := gen.MustParse(gen.NewTemplate("central").
		Funcs(gen.Funcs).
		Funcs(map[string]any{
			"richIDPrefix": Prefix,
			"tenancy":      TenancyOf,
			"viaEdge":      viaEdge,
			"sealedFields": SealedFields,
			"tenantIDType": tenantIDType,
			"scanSlots":    scanSlots,
			"fastGet":      fastGet,
		}).
		Funcs(fastCreateFuncs).
		ParseFS(templateFS, "template/*.tmpl"))
	return []*gen.Template{gen.MustParse(t.Parse(migrateEntities))}
}

// migrateEntities renders the "entmeta" template a second time, into
// ent/migrate, where (given a scope) it writes the entity list itself;
// package ent's ent.Entities and ent.SealedColumns return that list. The
// diff command needs the tables (migrate.Tables) and each entity's tenancy
// (for row-level security), and ent/migrate imports no entity package and
// no ID type: importing package ent instead made cmd/dbdiff recompile the
// whole client (about 75% of the loop's CPU) after every schema change.
// TestEveryTableHasAnEntity checks the list covers every table.
const migrateEntities = `{{ define "migrate/entities" }}{{ with extend $ "Package" "migrate" }}{{ template "entmeta" . }}{{ end }}{{ end }}`

// Hooks validates the graph before any file is written.
func (*Extension) Hooks() []gen.Hook {
	return []gen.Hook{func(next gen.Generator) gen.Generator {
		return gen.GenerateFunc(func(g *gen.Graph) error {
			if err := Validate(g); err != nil {
				return err
			}
			return next.Generate(g)
		})
	}}
}

// ErrInvalidSchema is matched by every validation failure of [Validate] and
// [ScanIDs].
var ErrInvalidSchema = errors.New("entgen: invalid schema")

// annotation decodes the annotation named name of node n into v (ent keeps
// annotations as decoded JSON maps after loading the schema).
func annotation(n *gen.Type, name string, v any) bool {
	raw, ok := n.Annotations[name]
	if !ok {
		return false
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

// Prefix returns the rich-ID prefix that mixin.NewID declared on node n, or
// "" when it has none.
func Prefix(n *gen.Type) string {
	var a mixin.RichIDAnnotation
	annotation(n, mixin.RichIDAnnotationName, &a)
	return a.Prefix
}

// TenancyOf returns node n's tenancy declaration (zero for a global entity).
func TenancyOf(n *gen.Type) mixin.TenancyAnnotation {
	var a mixin.TenancyAnnotation
	annotation(n, mixin.TenancyAnnotationName, &a)
	return a
}

func viaEdge(n *gen.Type) (*gen.Edge, error) {
	via := TenancyOf(n).Via
	for _, e := range n.Edges {
		if e.Name == via {
			return e, nil
		}
	}
	return nil, fmt.Errorf("%s: mixin.TenantOwnedVia names edge %q, which %s does not have", n.Name, via, n.Name)
}

// tenantIDType returns the Go type of tenant_id, taken from a tenant-owned
// entity (they all share it; Validate checks).
func tenantIDType(g *gen.Graph) (*field.TypeInfo, error) {
	for _, n := range g.Nodes {
		t := TenancyOf(n)
		if !t.Owned || t.Via != "" {
			continue
		}
		for _, f := range n.Fields {
			if f.Name == mixin.TenantIDField {
				return f.Type, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: no entity is declared mixin.TenantOwned", ErrInvalidSchema)
}

// IsSealedType reports whether a field's Go type is a sealed
// (envelope-encrypted) value: it has sensitive.Sealed's Key() method.
func IsSealedType(t *field.TypeInfo) bool {
	if t == nil || t.RType == nil {
		return false
	}
	m, ok := t.RType.Methods["Key"]
	return ok && len(m.In) == 0 && len(m.Out) == 1 && m.Out[0] != nil &&
		m.Out[0].PkgPath == sensitivePkg && m.Out[0].Name == "KeyRef"
}

// SealedFields returns node n's sealed fields, in schema order.
func SealedFields(n *gen.Type) []*gen.Field {
	var out []*gen.Field
	for _, f := range n.Fields {
		if IsSealedType(f.Type) {
			out = append(out, f)
		}
	}
	return out
}

// Validate checks the rich-ID, tenancy and sealed-field declarations of
// every schema in g and reports all problems at once, sorted, so one run of
// `go generate` shows everything to fix.
func Validate(g *gen.Graph) error {
	var problems []string
	owners := map[string][]string{}
	byName := map[string]*gen.Type{}
	for _, n := range g.Nodes {
		byName[n.Name] = n
	}
	for _, n := range g.Nodes {
		problems = append(problems, validateTenancy(n, byName)...)
		for _, f := range SealedFields(n) {
			if !f.Sensitive() {
				problems = append(problems, fmt.Sprintf("%s.%s: sealed field must be .Sensitive() (kept out of String() and JSON)", n.Name, f.Name))
			}
		}
		var a mixin.RichIDAnnotation
		annotation(n, mixin.RichIDAnnotationName, &a)
		p := a.Prefix
		switch {
		case p == "" && n.ID != nil && n.ID.Type.Type == field.TypeUUID:
			problems = append(problems, fmt.Sprintf("%s: uuid primary key without mixin.NewID (no rich-ID prefix)", n.Name))
			continue
		case p == "":
			continue // keyed by something else, e.g. AppMeta's string key
		}
		if err := richid.ValidatePrefix(p); err != nil {
			problems = append(problems, fmt.Sprintf("%s: prefix %q: %v", n.Name, p, err))
		}
		if a.TypePrefix != p {
			problems = append(problems, fmt.Sprintf("%s: mixin.NewID declares prefix %q but its constructor makes %q IDs: pass this entity's own entityid.New<Name>ID", n.Name, p, a.TypePrefix))
		}
		owners[p] = append(owners[p], n.Name)
		// ent itself only compares the storage kind (uuid = uuid), so a
		// tenant_id declared as entityid.UserID would pass it; compare Go types.
		for _, e := range n.Edges {
			fk := e.Field()
			if fk == nil || e.Type.ID == nil {
				continue
			}
			if want, got := e.Type.ID.Type.String(), fk.Type.String(); want != got {
				problems = append(problems, fmt.Sprintf("%s.%s: foreign key has Go type %s, but edge %q points to %s whose ID type is %s",
					n.Name, fk.Name, got, e.Name, e.Type.Name, want))
			}
		}
	}
	for p, names := range owners {
		if len(names) > 1 {
			sort.Strings(names)
			problems = append(problems, fmt.Sprintf("prefix %q is used by %s: each entity needs its own", p, strings.Join(names, " and ")))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return fmt.Errorf("%w:\n  %s", ErrInvalidSchema, strings.Join(problems, "\n  "))
}

// validateTenancy checks that a tenant-owned entity can be scoped: a rich
// ID, and either its own tenant_id or a unique, required edge to a directly
// tenant-owned parent. A tenant_id column on an entity not declared
// tenant-owned is refused too: it would silently get no scoping.
func validateTenancy(n *gen.Type, byName map[string]*gen.Type) []string {
	t := TenancyOf(n)
	var hasTenantID bool
	for _, f := range n.Fields {
		hasTenantID = hasTenantID || f.Name == mixin.TenantIDField
	}
	switch {
	case !t.Owned && hasTenantID:
		return []string{fmt.Sprintf("%s: has a tenant_id field but is not declared tenant-owned: use mixin.TenantOwned{} (it adds tenant_id) so the generator scopes it", n.Name)}
	case !t.Owned:
		return nil
	case n.ID == nil || Prefix(n) == "":
		return []string{fmt.Sprintf("%s: a tenant-owned entity needs a rich ID (mixin.NewID)", n.Name)}
	case t.Via == "":
		return nil
	}
	e, err := viaEdge(n)
	if err != nil {
		return []string{err.Error()}
	}
	if !e.Unique || e.Optional || e.Field() == nil {
		return []string{fmt.Sprintf("%s: edge %q of mixin.TenantOwnedVia must be unique, required and bound to a field", n.Name, e.Name)}
	}
	if pt := TenancyOf(byName[e.Type.Name]); !pt.Owned || pt.Via != "" {
		return []string{fmt.Sprintf("%s: edge %q of mixin.TenantOwnedVia points to %s, which is not declared mixin.TenantOwned", n.Name, e.Name, e.Type.Name)}
	}
	return nil
}
