package entgen

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

// TestFastGenerateMatchesEnt renders the real schema twice, with ent's own
// generator (goimports on every file) and with generate (see its doc), and
// requires the same files, byte for byte. Both run in staging directories
// inside ent/, as Run's does.
//
// Deliberate bugs it catches (each tried): keeping an unused import; a
// missing stdImports entry ("context") with the goimports fallback
// dropped (hook/hook.go lacks the import); removing a repeated import
// (entityid, in most files) by hand instead of letting goimports' sort
// collapse it (a blank line then splits the import group).
func TestFastGenerateMatchesEnt(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the schema with go run (about 10 s): not in -short")
	}
	cfg := &gen.Config{
		Package:  "github.com/central/central/ent",
		Features: []gen.Feature{gen.FeatureVersionedMigration, gen.FeatureLock, gen.FeatureUpsert, gen.FeatureExecQuery},
	}
	if err := entc.Extensions(New())(cfg); err != nil {
		t.Fatal(err)
	}
	var err error
	if cfg.Storage, err = gen.NewStorage("sql"); err != nil { // as entc.Generate does
		t.Fatal(err)
	}
	g, err := entc.LoadGraph("../../ent/schema", cfg)
	if err != nil {
		t.Fatal(err)
	}
	render := func(generator gen.Generator) map[string]string {
		dir, err := os.MkdirTemp("../../ent", ".entgen-test-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		if g.Config.Target, err = filepath.Abs(dir); err != nil {
			t.Fatal(err)
		}
		if err := generator.Generate(g); err != nil {
			t.Fatal(err)
		}
		files := map[string]string{}
		err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			files[rel] = string(b)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	// g.Gen with no hooks is ent's default generator.
	g.Hooks = nil
	want := render(gen.GenerateFunc(func(g *gen.Graph) error { return g.Gen() }))
	got := render(gen.GenerateFunc(generate))
	if len(want) < 50 {
		t.Fatalf("ent generated only %d files", len(want))
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if got[name] != want[name] {
			t.Errorf("%s differs from ent's output:\n--- generate\n%s\n--- ent\n%s", name, got[name], want[name])
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: generated, ent generates no such file", name)
		}
	}
}
