package entgen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"unicode"

	"github.com/central/central/internal/richid"
)

const (
	mixinImport    = "github.com/central/central/internal/mixin"
	entityidImport = "github.com/central/central/internal/entityid"
)

// IDDecl is one `mixin.NewID("prefix", entityid.NewXID)` found in ent/schema.
type IDDecl struct {
	Name   string // X: the ID type is XID
	Prefix string
	Pos    string // file:line, for error messages
}

// Kind returns the unexported richid.Kind type name, e.g. "oidcConnectorKind".
func (d IDDecl) Kind() string { return lowerInitialism(d.Name) + "Kind" }

// ScanIDs parses the Go files of the schema directory (without type-checking
// or compiling them: the ID types they mention may not exist yet) and
// returns every ID declaration, sorted by name. Malformed declarations,
// malformed prefixes and duplicate names or prefixes are reported together.
func ScanIDs(schemaDir string) ([]IDDecl, error) {
	fset := token.NewFileSet()
	paths, err := filepath.Glob(filepath.Join(schemaDir, "*.go"))
	if err != nil {
		return nil, err
	}
	var decls []IDDecl
	var problems []string
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("%w: parse %s: %w", ErrInvalidSchema, p, err)
		}
		mixinName, idName := importName(f, mixinImport), importName(f, entityidImport)
		if mixinName == "" {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || !isSelector(call.Fun, mixinName, "NewID") {
				return true
			}
			pos := fset.Position(call.Pos())
			where := fmt.Sprintf("%s:%d", filepath.Base(pos.Filename), pos.Line)
			d, err := idDecl(call, idName)
			if err != nil {
				problems = append(problems, where+": "+err.Error())
				return true
			}
			d.Pos = where
			decls = append(decls, d)
			return true
		})
	}
	byName, byPrefix := map[string]string{}, map[string]string{}
	for _, d := range decls {
		if err := richid.ValidatePrefix(d.Prefix); err != nil {
			problems = append(problems, fmt.Sprintf("%s: prefix %q: %v", d.Pos, d.Prefix, err))
		}
		if prev, ok := byName[d.Name]; ok {
			problems = append(problems, fmt.Sprintf("%s: entityid.New%sID is already declared at %s: each entity needs its own ID type", d.Pos, d.Name, prev))
		}
		if prev, ok := byPrefix[d.Prefix]; ok {
			problems = append(problems, fmt.Sprintf("%s: prefix %q is already declared at %s: each entity needs its own", d.Pos, d.Prefix, prev))
		}
		byName[d.Name], byPrefix[d.Prefix] = d.Pos, d.Pos
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("%w:\n  %s", ErrInvalidSchema, strings.Join(problems, "\n  "))
	}
	sort.Slice(decls, func(i, j int) bool { return decls[i].Name < decls[j].Name })
	return decls, nil
}

func idDecl(call *ast.CallExpr, entityidName string) (IDDecl, error) {
	const want = `want mixin.NewID("prefix", entityid.New<Name>ID) with a string literal and the entityid constructor`
	if len(call.Args) != 2 {
		return IDDecl{}, fmt.Errorf("mixin.NewID has %d arguments: %s", len(call.Args), want)
	}
	lit, ok := call.Args[0].(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return IDDecl{}, fmt.Errorf("the prefix is not a string literal: %s", want)
	}
	prefix, err := strconv.Unquote(lit.Value)
	if err != nil {
		return IDDecl{}, fmt.Errorf("the prefix: %w", err)
	}
	sel, ok := call.Args[1].(*ast.SelectorExpr)
	if !ok || entityidName == "" || !isSelector(sel, entityidName, sel.Sel.Name) {
		return IDDecl{}, fmt.Errorf("the constructor is not entityid.New<Name>ID: %s", want)
	}
	fn := sel.Sel.Name
	name, ok := strings.CutPrefix(fn, "New")
	if name, ok = strings.CutSuffix(name, "ID"); !ok || name == "" || !token.IsExported(name) {
		return IDDecl{}, fmt.Errorf("constructor entityid.%s is not named New<Name>ID: %s", fn, want)
	}
	return IDDecl{Name: name, Prefix: prefix}, nil
}

func importName(f *ast.File, path string) string {
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil || p != path {
			continue
		}
		if imp.Name != nil {
			return imp.Name.Name
		}
		return path[strings.LastIndex(path, "/")+1:]
	}
	return ""
}

func isSelector(e ast.Expr, pkg, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	return ok && id.Name == pkg && sel.Sel.Name == name
}

// lowerInitialism lowers the leading upper-case run of an identifier the
// way Go names do: "OIDCConnector" → "oidcConnector", "User" → "user".
func lowerInitialism(s string) string {
	r := []rune(s)
	n := 0
	for n < len(r) && unicode.IsUpper(r[n]) {
		n++
	}
	if n > 1 && n < len(r) {
		n-- // the last upper-case letter starts the next word
	}
	for i := 0; i < n; i++ {
		r[i] = unicode.ToLower(r[i])
	}
	return string(r)
}

// RenderIDs returns the formatted source of package entityid's generated file.
func RenderIDs(decls []IDDecl) ([]byte, error) {
	var buf bytes.Buffer
	if err := idTemplate.Execute(&buf, decls); err != nil {
		return nil, fmt.Errorf("render entity IDs: %w", err)
	}
	src, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format entity IDs: %w", err)
	}
	return src, nil
}

var idTemplate = template.Must(template.New("ids").Parse(`// Code generated by internal/entgen from the mixin.NewID declarations in ent/schema; DO NOT EDIT.

package entityid

import (
	"database/sql/driver"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/central/central/internal/richid"
)
{{ range . }}
type {{ .Kind }} struct{}

// Prefix implements richid.Kind.
func ({{ .Kind }}) Prefix() string { return "{{ .Prefix }}" }

// {{ .Name }}ID identifies a {{ .Name }}; it formats as "{{ .Prefix }}-<ULID>" and is
// stored as a PostgreSQL uuid.
type {{ .Name }}ID [16]byte

// New{{ .Name }}ID returns a new, time-ordered {{ .Name }}ID from the process-wide generator.
func New{{ .Name }}ID() {{ .Name }}ID {
	return {{ .Name }}ID(richid.New[{{ .Kind }}](richid.Default()).UUID())
}

// Parse{{ .Name }}ID parses "{{ .Prefix }}-<ULID>"; errors match richid.ErrInvalid.
func Parse{{ .Name }}ID(s string) ({{ .Name }}ID, error) {
	id, err := richid.Parse[{{ .Kind }}](s)
	return {{ .Name }}ID(id.UUID()), err
}

// {{ .Name }}IDFromUUID wraps the 16 bytes stored in PostgreSQL.
func {{ .Name }}IDFromUUID(u [16]byte) {{ .Name }}ID { return {{ .Name }}ID(u) }

func (id {{ .Name }}ID) rich() richid.ID[{{ .Kind }}] { return richid.FromUUID[{{ .Kind }}](id) }

// Prefix returns "{{ .Prefix }}".
func ({{ .Name }}ID) Prefix() string { return "{{ .Prefix }}" }

// String returns the rich form, e.g. "{{ .Prefix }}-01H2XVNZ7C9NXWK3TMCRD9QWMN".
func (id {{ .Name }}ID) String() string { return id.rich().String() }

// UUID returns the 16 bytes of the ID.
func (id {{ .Name }}ID) UUID() [16]byte { return id }

// UUIDString returns the canonical UUID text form.
func (id {{ .Name }}ID) UUIDString() string { return id.rich().UUIDString() }

// Time returns the ULID's timestamp.
func (id {{ .Name }}ID) Time() time.Time { return id.rich().Time() }

// IsZero reports whether id is the nil ID.
func (id {{ .Name }}ID) IsZero() bool { return id == {{ .Name }}ID{} }

// Compare orders IDs by their bytes, which is time order.
func (id {{ .Name }}ID) Compare(other {{ .Name }}ID) int { return id.rich().Compare(other.rich()) }

// MarshalText implements encoding.TextMarshaler with the rich form.
func (id {{ .Name }}ID) MarshalText() ([]byte, error) { return id.rich().MarshalText() }

// UnmarshalText implements encoding.TextUnmarshaler; it accepts only the rich form.
func (id *{{ .Name }}ID) UnmarshalText(b []byte) error {
	var r richid.ID[{{ .Kind }}]
	if err := r.UnmarshalText(b); err != nil {
		return err
	}
	*id = {{ .Name }}ID(r.UUID())
	return nil
}

// Value implements driver.Valuer: the canonical UUID text.
func (id {{ .Name }}ID) Value() (driver.Value, error) { return id.rich().Value() }

// Scan implements sql.Scanner for uuid columns; NULL is an error (use a pointer for nullable columns).
func (id *{{ .Name }}ID) Scan(src any) error {
	var r richid.ID[{{ .Kind }}]
	if err := r.Scan(src); err != nil {
		return err
	}
	*id = {{ .Name }}ID(r.UUID())
	return nil
}

// UUIDValue lets pgx send the ID as a binary uuid.
func (id {{ .Name }}ID) UUIDValue() (pgtype.UUID, error) { return id.rich().UUIDValue() }

// ScanUUID lets pgx scan a binary uuid into the ID.
func (id *{{ .Name }}ID) ScanUUID(v pgtype.UUID) error {
	var r richid.ID[{{ .Kind }}]
	if err := r.ScanUUID(v); err != nil {
		return err
	}
	*id = {{ .Name }}ID(r.UUID())
	return nil
}

{{ end }}`))
