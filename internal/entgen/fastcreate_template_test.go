package entgen

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"text/template/parse"

	"entgo.io/ent/entc/gen"
)

// TestFastCreateTemplateIsEnts requires template/fastcreate.tmpl's
// override of ent's "dialect/sql/create" to be ent's own template (read
// from the module ent is built from) plus the one call of
// "helper/fastcreate/branch": everything the override renders besides that
// line (createSpec, the rest of sqlSave, the extension points) is then
// what ent renders. An ent upgrade that changes the template fails here;
// refresh the copy from entc/gen/template/dialect/sql/create.tmpl.
//
// Deliberate bugs it catches (tried): a line of the copy edited
// (createSpec appending each edge twice); the branch call removed.
func TestFastCreateTemplateIsEnts(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "entgo.io/ent").Output()
	if err != nil {
		t.Fatalf("locate the ent module: %v", err)
	}
	entSrc, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "entc", "gen", "template", "dialect", "sql", "create.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	ourSrc, err := templateFS.ReadFile("template/fastcreate.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	const name = "dialect/sql/create"
	tree := func(file, src string) *parse.Tree {
		tmpl, err := template.New(file).Funcs(gen.Funcs).Funcs(fastCreateFuncs).Parse(src)
		if err != nil {
			t.Fatalf("parse %s: %v", file, err)
		}
		if tmpl.Lookup(name) == nil {
			t.Fatalf("%s defines no %q", file, name)
		}
		return tmpl.Lookup(name).Tree
	}
	want, got := tree("ent's create.tmpl", string(entSrc)), tree("fastcreate.tmpl", string(ourSrc))
	var kept []parse.Node
	calls := 0
	for _, n := range got.Root.Nodes {
		if tn, ok := n.(*parse.TemplateNode); ok && tn.Name == "helper/fastcreate/branch" {
			calls++
			continue
		}
		kept = append(kept, n)
	}
	if calls != 1 {
		t.Fatalf("the override calls helper/fastcreate/branch %d times at its top level, want once", calls)
	}
	got.Root.Nodes = kept
	if g, w := got.Root.String(), want.Root.String(); g != w {
		i := 0
		for i < len(g) && i < len(w) && g[i] == w[i] {
			i++
		}
		t.Errorf("the override of %q is not ent's template plus the branch call; first difference at byte %d:\n--- override\n%s\n--- ent\n%s",
			name, i, excerpt(g, i), excerpt(w, i))
	}
}

func excerpt(s string, i int) string {
	return s[max(0, i-200):min(len(s), i+200)]
}
