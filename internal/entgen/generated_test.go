package entgen_test

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"

	entpkg "github.com/central/central/ent"
	entmigrate "github.com/central/central/ent/migrate"
	"github.com/central/central/internal/entgen"
)

// TestNoGeneratedFileBehindBuildConstraint fails when any generated file
// under ent/ or internal/entityid starts with a build constraint. The bug
// it guards: ent's own generator rewrites ent/runtime.go behind
// "// +build tools" while it loads the schema and, after some failures,
// never restores it; the tree then compiles, the runtime init is compiled
// out, and every Create panics. internal/entgen.Run generates elsewhere and
// moves files into place only on success, so this must hold after any run.
func TestNoGeneratedFileBehindBuildConstraint(t *testing.T) {
	checked := 0
	for _, dir := range []string{"../../ent", "../entityid"} {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if strings.HasPrefix(d.Name(), ".") && p != dir {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(p, ".go") {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if !bytes.Contains(b, []byte("Code generated ")) {
				return nil // hand-written (schema, entc.go, tests)
			}
			checked++
			sc := bufio.NewScanner(bytes.NewReader(b))
			for sc.Scan() {
				l := strings.TrimSpace(sc.Text())
				if strings.HasPrefix(l, "package ") {
					break
				}
				if strings.HasPrefix(l, "//go:build") || strings.HasPrefix(l, "// +build") {
					t.Errorf("%s: generated file behind a build constraint: %q", p, l)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 40 {
		t.Fatalf("only %d generated files found: is the walk looking at ent/?", checked)
	}
}

// TestSealedRegistryCoversEverySealedField loads the real ent/schema (as
// go generate does) and requires every sealed field to be in
// ent.SealedColumns(), by two criteria: the generator's own (the Go type is
// a sensitive.Sealed) and an independent one (every Sensitive() jsonb field
// holds sealed data in this project). `app db rekey` walks the registry;
// a column missing from it would never be re-encrypted and retiring its
// old key would break its reads.
//
// Deliberate bugs it catches: the entmeta template skipping Optional
// fields (users.idp_user_info) or an entity, or IsSealedType missing a
// wrapper type; and a new Sensitive jsonb field whose type is not sealed.
func TestSealedRegistryCoversEverySealedField(t *testing.T) {
	g, err := entc.LoadGraph("../../ent/schema", &gen.Config{})
	if err != nil {
		t.Fatal(err)
	}
	registry := map[string]bool{}
	for _, c := range entpkg.SealedColumns() {
		registry[c.String()] = true
	}
	found := 0
	for _, n := range g.Nodes {
		for _, f := range n.Fields {
			col := n.Table() + "." + f.StorageKey()
			st := f.Column().SchemaType
			jsonb := st["postgres"] == "jsonb" || st == nil && f.Type.Type.String() == "json"
			sealedType := entgen.IsSealedType(f.Type)
			if f.Sensitive() && jsonb && !sealedType {
				t.Errorf("%s: Sensitive jsonb field whose Go type is not sealed (embed sensitive.Sealed[T])", col)
			}
			if (sealedType || f.Sensitive() && jsonb) && !registry[col] {
				t.Errorf("%s is sealed but missing from ent.SealedColumns(): regenerate (go generate ./ent) or fix the entmeta template", col)
			}
			if sealedType {
				found++
			}
		}
	}
	if found != len(registry) || found < 2 {
		t.Errorf("%d sealed fields in the schema, %d in the registry %v", found, len(registry), registry)
	}
}

// TestEveryTableHasAnEntity checks that the entity metadata generated into
// ent/migrate (the one rendering of the list: ent.Entities returns it, and
// the diff command reads it without compiling package ent) names every table
// of ent/migrate. Deliberate bug it catches: rendering the migrate list from
// anything but the entmeta template (checked by making migrateEntities print
// an empty list: the row-level-security policies of every table would
// silently vanish from the next diff).
func TestEveryTableHasAnEntity(t *testing.T) {
	tables := map[string]bool{}
	for _, e := range entmigrate.Entities() {
		tables[e.Table] = true
	}
	for _, tb := range entmigrate.Tables {
		// Join tables of many-to-many edges are no entity of their own.
		if !tables[tb.Name] && len(tb.ForeignKeys) < 2 {
			t.Errorf("table %s has no entity in migrate.Entities()", tb.Name)
		}
	}
}
