package entgen

import (
	"embed"
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

// Extension is Central's entc extension; see the package documentation.
type Extension struct {
	entc.DefaultExtension
}

// New returns the extension.
func New() *Extension { return &Extension{} }

// Templates returns the read-only client and rich-ID templates.
func (*Extension) Templates() []*gen.Template {
	return []*gen.Template{
		gen.MustParse(gen.NewTemplate("central").
			Funcs(gen.Funcs).
			Funcs(map[string]any{"richIDPrefix": Prefix}).
			ParseFS(templateFS, "template/*.tmpl")),
	}
}

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

// ErrInvalidSchema is matched by every validation failure of [Validate].
var ErrInvalidSchema = errors.New("entgen: invalid schema")

// Prefix returns the rich-ID prefix that mixin.NewID recorded on node n, or
// "" when it has none.
func Prefix(n *gen.Type) string {
	raw, ok := n.Annotations[mixin.RichIDAnnotationName]
	if !ok {
		return ""
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return ""
	}
	p, _ := m["prefix"].(string)
	return p
}

// Validate checks the rich-ID wiring of every schema in g and reports all
// problems at once, sorted, so one run of `go generate` shows everything to fix.
func Validate(g *gen.Graph) error {
	var problems []string
	owners := map[string][]string{}
	for _, n := range g.Nodes {
		p := Prefix(n)
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
