package entgen_test

import (
	"fmt"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"

	entpkg "github.com/central/central/ent"
)

// entTypes type-checks the generated package ent (from export data).
func entTypes(t *testing.T) *types.Package {
	t.Helper()
	pkgs, err := packages.Load(&packages.Config{Mode: packages.NeedName | packages.NeedTypes}, "github.com/central/central/ent")
	if err != nil || len(pkgs) != 1 || len(pkgs[0].Errors) > 0 {
		t.Fatalf("load package ent: %v %v", err, pkgs)
	}
	return pkgs[0].Types
}

// directWrites are the methods that make a builder or client a writer: a
// mutation builder saves or executes, a client opens transactions or runs
// raw statements.
var directWrites = []string{"Save", "SaveX", "Exec", "ExecX", "Tx", "BeginTx", "ExecContext"}

// writeCapable reports whether values of type typ can write: its method set
// has a direct write, or it is a client whose fields or methods hand out
// such values (one level, which covers ent's clients).
func writeCapable(typ types.Type, depth int) bool {
	ms := types.NewMethodSet(typ)
	if _, isPtr := typ.(*types.Pointer); !isPtr {
		ms = types.NewMethodSet(types.NewPointer(typ))
	}
	for _, name := range directWrites {
		// Every ent builder and entity embeds config, whose ExecContext is
		// promoted into it; the read-only driver refuses it at run time
		// (internal/service's TestReadOnlyViewRefusesRawExec).
		if name == "ExecContext" && !strings.HasSuffix(types.TypeString(typ, nil), "Client") {
			continue
		}
		if ms.Lookup(nil, name) != nil {
			return true
		}
	}
	// Only clients hand out writers; builders and entities are judged by
	// their own methods (an entity's Update() is refused at run time by the
	// read-only hook, which internal/db's tests cover).
	name := strings.TrimPrefix(types.TypeString(typ, nil), "*")
	if depth == 0 || !(strings.HasSuffix(name, "Client") || strings.HasSuffix(name, "Scope")) {
		return false
	}
	for i := range ms.Len() {
		sig := ms.At(i).Type().(*types.Signature)
		for j := range sig.Results().Len() {
			if writeCapable(sig.Results().At(j).Type(), depth-1) {
				return true
			}
		}
	}
	return false
}

// writeMethods returns the exported methods of *typ that write: they
// return a write-capable value, or they change the client's hooks or
// interceptors (Use, Intercept: parameters of type Hook or Interceptor).
func writeMethods(typ types.Type) []string {
	var out []string
	ms := types.NewMethodSet(types.NewPointer(typ))
	for i := range ms.Len() {
		fn := ms.At(i).Obj().(*types.Func)
		if !fn.Exported() {
			continue
		}
		sig := fn.Type().(*types.Signature)
		writes := false
		for j := range sig.Results().Len() {
			writes = writes || writeCapable(sig.Results().At(j).Type(), 1)
		}
		for j := range sig.Params().Len() {
			s := sig.Params().At(j).Type().String()
			writes = writes || strings.HasSuffix(s, ".Hook") || strings.HasSuffix(s, ".Interceptor")
		}
		if writes || slices.Contains(directWrites, fn.Name()) {
			out = append(out, fn.Name())
		}
	}
	sort.Strings(out)
	return out
}

// TestReadOnlyClientExposesNoWrite derives every write method of the
// generated read-write clients (ent.Client and each entity's client: Create,
// CreateBulk, MapCreateBulk, Update, UpdateOne, UpdateOneID, Delete,
// DeleteOne, DeleteOneID, Use, Intercept, Tx, BeginTx, ExecContext, and any
// builder a future ent adds) from the type-checked package, then:
//
//  1. asserts the read-only types (ReadOnlyClient, ReadOnlyTenantScope and
//     their entity clients) have no method or field that writes or hands
//     out a writer;
//  2. compiles a program calling each of those write methods on the
//     corresponding read-only value and requires the compiler to reject
//     every single call.
//
// Deliberate bugs it catches: adding to template/readonly.tmpl a
// pass-through such as `func (c *XReadOnlyClient) DeleteOneID(...)` or a
// method returning the underlying *XClient, for any entity; a new entity
// is covered without editing this test.
func TestReadOnlyClientExposesNoWrite(t *testing.T) {
	pkg := entTypes(t)
	scope := pkg.Scope()
	lookup := func(name string) types.Type {
		obj := scope.Lookup(name)
		if obj == nil {
			return nil
		}
		return obj.Type()
	}
	type pair struct{ rw, ro, expr string }
	var pairs []pair
	pairs = append(pairs, pair{"Client", "ReadOnlyClient", "ro"})
	for _, e := range entpkg.Entities() {
		pairs = append(pairs, pair{e.Name + "Client", e.Name + "ReadOnlyClient", "ro." + e.Name})
		if lookup(e.Name+"ScopedClient") != nil {
			pairs = append(pairs, pair{e.Name + "ScopedClient", e.Name + "ReadOnlyScopedClient", "rs." + e.Name})
		}
	}
	pairs = append(pairs, pair{"TenantScope", "ReadOnlyTenantScope", "rs"})

	var calls []string // expressions that must not compile
	for _, p := range pairs {
		rw, ro := lookup(p.rw), lookup(p.ro)
		if rw == nil || ro == nil {
			t.Errorf("generated package lacks %s or %s", p.rw, p.ro)
			continue
		}
		// 1. The read-only type's own methods and fields.
		if w := writeMethods(ro); len(w) > 0 {
			t.Errorf("%s exposes write methods %v", p.ro, w)
		}
		if st, ok := ro.Underlying().(*types.Struct); ok {
			for i := range st.NumFields() {
				if f := st.Field(i); f.Exported() && writeCapable(f.Type(), 1) {
					t.Errorf("%s.%s (%s) can write", p.ro, f.Name(), f.Type())
				}
			}
		}
		w := writeMethods(rw)
		if strings.HasSuffix(p.rw, "Client") && p.rw != "Client" && !strings.HasSuffix(p.rw, "ScopedClient") && len(w) < 9 {
			t.Errorf("only %d write methods derived for %s (%v): the derivation is broken", len(w), p.rw, w)
		}
		for _, m := range w {
			calls = append(calls, p.expr+"."+m)
		}
	}
	if len(calls) < 9*len(entpkg.Entities()) {
		t.Fatalf("only %d write calls derived for %d entities", len(calls), len(entpkg.Entities()))
	}

	// 2. The compiler must refuse every call (-e: report all errors).
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("testdata", "rowrite-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var src strings.Builder
	src.WriteString("package main\n\nimport \"github.com/central/central/ent\"\n\nfunc main() {\n\tro := ent.NewReadOnlyClient()\n\trs := ro.ForTenant([16]byte{})\n\t_ = rs\n")
	for _, c := range calls {
		fmt.Fprintf(&src, "\t_ = %s\n", c)
	}
	src.WriteString("}\n")
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "build", "-gcflags=-e", "-o", os.DevNull, "./"+dir).CombinedOutput()
	if err == nil {
		t.Fatalf("a program writing through the read-only client compiled:\n%s", src.String())
	}
	for _, c := range calls {
		sel := c[strings.LastIndex(c, ".")+1:]
		want := c + " undefined (type "
		found := false
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, want) && strings.HasSuffix(l, "has no field or method "+sel+")") {
				found = true
			}
		}
		if !found {
			t.Errorf("the compiler did not reject %s:\n%s", c, out)
		}
	}
	t.Logf("%d write calls through read-only values, all rejected by the compiler", len(calls))
}
