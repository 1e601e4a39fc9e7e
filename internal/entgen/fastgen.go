package entgen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"maps"
	"os"
	pathpkg "path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"unicode"
	_ "unsafe" // go:linkname, see entTemplates

	"entgo.io/ent/entc/gen"
	"golang.org/x/sync/errgroup"
	"golang.org/x/tools/go/ast/astutil"
	"golang.org/x/tools/imports"
)

// entTemplates is ent's own (*gen.Graph).templates: its template set with
// every extension's templates added, and the files they render. ent does
// not export it; generate needs it to render exactly what ent's generator
// renders. The ent version is pinned in go.mod; a version that renames it
// fails to link, and TestFastGenerateMatchesEnt compares the whole output
// with ent's own generator.
//
//go:linkname entTemplates entgo.io/ent/entc/gen.(*Graph).templates
func entTemplates(g *gen.Graph) (*gen.Template, []gen.GraphTemplate)

// generate is ent's default generator (gen.Graph.Gen without hooks) with a
// cheaper format step, for a target directory that starts empty (Run's
// staging directory: ent's clean-up of old files has nothing to do).
//
// Why: ent formats every file with goimports (imports.Process with no
// options), which runs `go env` for each file and `go list -m` for each
// file it removes an import from, and resolves every import; at 50
// entities that was about 13 of the 17 CPU seconds of go generate ./ent.
// The templates list every import a file may need, so all a file needs is
// its unused imports removed, sorted and gofmt'd, which formatGenerated
// does from the syntax tree. A file that refers to a package it does not
// import still goes through goimports.
func generate(g *gen.Graph) error {
	tmpl, external := entTemplates(g)
	files := map[string][]byte{}
	for _, n := range g.Nodes {
		for _, t := range gen.Templates {
			if t.Cond != nil && !t.Cond(n) {
				continue
			}
			var b bytes.Buffer
			if err := tmpl.ExecuteTemplate(&b, t.Name, n); err != nil {
				return fmt.Errorf("execute template %q: %w", t.Name, err)
			}
			files[filepath.Join(g.Config.Target, t.Format(n))] = b.Bytes()
		}
	}
	for _, t := range append(gen.GraphTemplates, external...) {
		if t.Skip != nil && t.Skip(g) {
			continue
		}
		var b bytes.Buffer
		if err := tmpl.ExecuteTemplate(&b, t.Name, g); err != nil {
			return fmt.Errorf("execute template %q: %w", t.Name, err)
		}
		files[filepath.Join(g.Config.Target, t.Format)] = b.Bytes()
	}
	// Written unformatted first, as ent does: goimports, where a file
	// falls back to it, reads the sibling files of its package.
	if err := writeAll(files); err != nil {
		return err
	}
	out, err := formatAll(files, func(dir string) string {
		rel, err := filepath.Rel(g.Config.Target, dir)
		if err != nil || rel == "." {
			return g.Config.Package
		}
		return g.Config.Package + "/" + filepath.ToSlash(rel)
	})
	if err != nil {
		return err
	}
	return writeAll(out)
}

func writeAll(files map[string][]byte) error {
	for p, src := range files {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, src, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return nil
}

// formatAll formats every file as goimports would (see generate), in
// parallel. The package-level names of each directory are collected first,
// so that a selector on a name declared in a sibling file is not taken for
// a missing import.
func formatAll(files map[string][]byte, importPath func(dir string) string) (map[string][]byte, error) {
	type parsed struct {
		fset *token.FileSet
		f    *ast.File
	}
	trees := make(map[string]parsed, len(files))
	decls := map[string]map[string]bool{}      // directory → package-level names
	siblings := map[string]map[string]string{} // directory → import name → path
	for p, src := range files {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, src, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("format file %s: %w", p, err)
		}
		trees[p] = parsed{fset, f}
		dir := filepath.Dir(p)
		if decls[dir] == nil {
			decls[dir] = map[string]bool{}
		}
		for name := range f.Scope.Objects {
			decls[dir][name] = true
		}
		if siblings[dir] == nil {
			siblings[dir] = map[string]string{}
		}
		for _, s := range f.Imports {
			if p, err := strconv.Unquote(s.Path.Value); err == nil {
				siblings[dir][importedAs(s)] = p
			}
		}
	}
	out := make(map[string][]byte, len(files))
	type result struct {
		path string
		src  []byte
	}
	results := make(chan result, len(files))
	var wg errgroup.Group
	wg.SetLimit(runtime.GOMAXPROCS(0))
	for p, t := range trees {
		wg.Go(func() error {
			dir := filepath.Dir(p)
			src, err := formatGenerated(p, t.fset, t.f, importPath(dir), decls[dir], siblings[dir])
			if err == errMissingImport {
				src, err = imports.Process(p, files[p], nil)
			}
			if err != nil {
				return fmt.Errorf("format file %s: %w", p, err)
			}
			results <- result{p, src}
			return nil
		})
	}
	if err := wg.Wait(); err != nil {
		return nil, err
	}
	close(results)
	for r := range results {
		out[r.path] = r.src
	}
	return out, nil
}

var errMissingImport = fmt.Errorf("entgen: a file refers to a package it does not import")

// stdImports are the standard-library packages ent's templates use
// without importing them, leaving goimports to add them.
var stdImports = map[string]string{
	"bytes": "bytes", "context": "context", "errors": "errors", "fmt": "fmt", "io": "io",
	"json": "encoding/json", "math": "math", "reflect": "reflect", "sort": "sort",
	"strconv": "strconv", "strings": "strings", "sync": "sync", "time": "time",
}

// formatGenerated does to one generated file what goimports does to it:
// drops its import of its own package (self, which ent's templates write),
// removes the imports it does not use, adds those it
// uses but lacks — the import of that name in a sibling file of the
// package (siblings), else a standard-library package of stdImports, in
// goimports' order — then sorts, groups and prints. pkgNames are the
// package-level names of f's package. A reference it cannot resolve that
// way, or a name two different imports share, returns errMissingImport
// and the caller falls back to goimports. TestFastFormatMatchesGoimports
// compares the two on every generated file.
func formatGenerated(path string, fset *token.FileSet, f *ast.File, self string, pkgNames map[string]bool, siblings map[string]string) ([]byte, error) {
	byName := map[string]string{} // import name → path
	for _, s := range append([]*ast.ImportSpec(nil), f.Imports...) {
		p, _ := strconv.Unquote(s.Path.Value)
		name := importedAs(s)
		switch prev, seen := byName[name]; {
		case p == self:
			astutil.DeleteNamedImport(fset, f, importAlias(s), p)
			continue
		case seen && prev == p:
			continue // goimports' sort collapses the repeat
		case seen:
			return nil, errMissingImport
		}
		byName[name] = p
	}
	used := map[string]bool{}
	var missing []string
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok || id.Obj != nil {
			return true
		}
		switch _, imported := byName[id.Name]; {
		case imported:
			used[id.Name] = true
		case !pkgNames[id.Name] && !used[id.Name]:
			used[id.Name] = true
			missing = append(missing, id.Name)
		}
		return true
	})
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		if p := byName[name]; !used[name] && name != "_" && name != "." {
			astutil.DeleteNamedImport(fset, f, explicitAlias(f, name, p), p)
		}
	}
	for _, name := range missing {
		p, ok := siblings[name]
		if !ok {
			p, ok = stdImports[name]
		}
		if !ok {
			return nil, errMissingImport
		}
		alias := name
		if name == importedAs(&ast.ImportSpec{Path: &ast.BasicLit{Value: strconv.Quote(p)}}) {
			alias = ""
		}
		astutil.AddNamedImport(fset, f, alias, p)
	}
	var b bytes.Buffer
	cfg := printer.Config{Mode: printer.UseSpaces | printer.TabIndent, Tabwidth: 8}
	if err := cfg.Fprint(&b, fset, f); err != nil {
		return nil, err
	}
	// goimports' own sorting, grouping (standard library first) and
	// printing; FormatOnly skips the import resolution that costs.
	return imports.Process(path, b.Bytes(), &imports.Options{FormatOnly: true, Comments: true, TabIndent: true, TabWidth: 8})
}

// explicitAlias is the alias f imports p under, "" if none.
func explicitAlias(f *ast.File, name, p string) string {
	for _, s := range f.Imports {
		if s.Name != nil && s.Name.Name == name && strconv.Quote(p) == s.Path.Value {
			return name
		}
	}
	return ""
}

// importedAs is the name a file refers to an import by: its alias, or the
// name goimports assumes from the path (last element, without a /vN
// suffix, a "go-" prefix or anything after the first non-identifier rune).
func importedAs(s *ast.ImportSpec) string {
	if s.Name != nil {
		return s.Name.Name
	}
	p, _ := strconv.Unquote(s.Path.Value)
	base := pathpkg.Base(p)
	if strings.HasPrefix(base, "v") {
		if _, err := strconv.Atoi(base[1:]); err == nil && pathpkg.Dir(p) != "." {
			base = pathpkg.Base(pathpkg.Dir(p))
		}
	}
	base = strings.TrimPrefix(base, "go-")
	if i := strings.IndexFunc(base, func(r rune) bool { return r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) }); i >= 0 {
		base = base[:i]
	}
	return base
}

func importAlias(s *ast.ImportSpec) string {
	if s.Name == nil {
		return ""
	}
	return s.Name.Name
}
