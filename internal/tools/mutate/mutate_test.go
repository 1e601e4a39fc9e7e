package main

import (
	"bytes"
	"context"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSchemaFile(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // kinds and descriptions, in source order
	}{
		{
			name: "comparison in a condition",
			src:  "package p\nfunc f(a, b int) int {\n\tif a < b {\n\t\treturn a\n\t}\n\treturn b\n}\n",
			want: []string{"p.go:3 negate: negate condition a < b", "p.go:3 boundary: < → <= in a < b"},
		},
		{
			name: "equality is swapped, not negated twice",
			src:  "package p\nfunc f(a, b int) bool {\n\tif a == b {\n\t\treturn true\n\t}\n\treturn false\n}\n",
			want: []string{"p.go:3 negate: == → != in a == b"},
		},
		{
			name: "error function: early return, swallow, drop (an empty function has no early return)",
			src:  "package p\nimport \"errors\"\nfunc g() {}\nfunc f(x int) error {\n\tg()\n\tif x > 0 {\n\t\treturn errors.New(\"x\")\n\t}\n\treturn nil\n}\n",
			want: []string{
				"p.go:4 return-early: f returns at once (return nil)",
				"p.go:5 drop: drop g()",
				"p.go:6 negate: negate condition x > 0",
				"p.go:6 boundary: > → >= in x > 0",
				"p.go:7 swallow: return nil instead of errors.New(\"x\")",
			},
		},
		{
			name: "no mutants in constants, := or panic",
			src:  "package p\nconst c = 1 < 2\nfunc f() int {\n\tx := 1\n\tif x == 0 {\n\t\tpanic(\"no\")\n\t}\n\treturn x\n}\n",
			want: []string{"p.go:5 negate: == → != in x == 0"},
		},
		{
			name: "defer cancel() of a context.With* is not dropped (go vet's lostcancel refuses it); other defers are",
			src:  "package p\nimport \"context\"\nfunc g() {}\nfunc f() {\n\tctx, cancel := context.WithCancel(context.Background())\n\tdefer cancel()\n\tdefer g()\n\t_ = ctx\n}\n",
			want: []string{
				"p.go:4 return-early: f returns at once (return)",
				"p.go:7 drop: drop defer g()",
				"p.go:8 drop: drop _ = ctx",
			},
		},
		{
			name: "multi-line comparisons are left alone (lines must not move)",
			src:  "package p\nfunc f(a, b int) bool {\n\treturn a <\n\t\tb\n}\n",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := 1
			out, ms, err := schemaFile("p.go", []byte(tt.src), &next, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, m := range ms {
				if m.ID != i+1 {
					t.Errorf("mutant %d has id %d", i, m.ID)
				}
				got = append(got, m.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("mutants:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			// The rewrite parses and keeps every line where it was.
			if _, err := parser.ParseFile(token.NewFileSet(), "p.go", out, 0); err != nil {
				t.Errorf("rewritten source does not parse: %v\n%s", err, out)
			}
			if strings.Count(out, "\n") != strings.Count(tt.src, "\n") {
				t.Errorf("rewritten source has %d lines, want %d:\n%s", strings.Count(out, "\n"), strings.Count(tt.src, "\n"), out)
			}
			if len(tt.want) > 0 && !strings.Contains(out, "zzMutant") {
				t.Errorf("no switch in the rewrite:\n%s", out)
			}
		})
	}
}

func TestSkipLines(t *testing.T) {
	src := "package p\nfunc f(a int) bool {\n\tif a < 1 {\n\t\treturn true\n\t}\n\treturn a > 5\n}\n"
	next := 1
	_, ms, err := schemaFile("p.go", []byte(src), &next, map[int]bool{3: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Line == 3 {
			t.Errorf("mutant on a skipped line: %s", m)
		}
	}
	if len(ms) != 1 || ms[0].Line != 6 {
		t.Errorf("mutants %v, want only the one of line 6", ms)
	}
}

func TestCompileErrorLines(t *testing.T) {
	out := []byte("# fixture\n./calc.go:12:5: declared and not used: x\n./calc.go:30:2: missing return\nother.go:7:1: foo\n./calc_test.go:3:1: bar\n")
	got := refusedLines(out, ".")
	if !got["calc.go"][12] || !got["calc.go"][30] || !got["other.go"][7] || got["calc_test.go"] != nil {
		t.Errorf("refused lines %v", got)
	}
}

// TestFixture runs the whole tool on testdata/fixture, whose tests kill
// some mutants and let others live on purpose.
func TestFixture(t *testing.T) {
	var log bytes.Buffer
	c := config{minTimeout: 5 * time.Second, named: true, log: &log, dir: "testdata/fixture"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := c.mutatePackage(ctx, ".")
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	got := map[string]string{}
	for _, r := range res.Results {
		got[r.Mutant.String()] = r.Outcome
	}
	want := map[string]string{
		"calc.go:12 negate: negate condition v < lo":            Killed,
		"calc.go:12 boundary: < → <= in v < lo":                 Lived, // equivalent: v == lo returns lo == v
		"calc.go:15 negate: negate condition v > hi":            Killed,
		"calc.go:15 boundary: > → >= in v > hi":                 Lived, // equivalent, likewise
		"calc.go:24 negate: negate condition n < 0":             Killed,
		"calc.go:24 boundary: < → <= in n < 0":                  Killed,
		"calc.go:25 swallow: return nil instead of ErrNegative": NotCovered,
		"calc.go:28 negate: negate condition (r+1)*(r+1) <= n":  TimedOut, // loops for ever
		"calc.go:28 boundary: <= → < in (r+1)*(r+1) <= n":       Killed,
		"calc.go:29 drop: drop r++":                             TimedOut, // loops for ever
		"calc.go:36 negate: negate condition b":                 NotCovered,
	}
	for m, w := range want {
		if got[m] != w {
			t.Errorf("%s: %q, want %q", m, got[m], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d mutants, want %d:\n%v", len(got), len(want), got)
	}
	if s := res.Score(); s < 0.6 || s > 0.7 { // 7 of 11 killed
		t.Errorf("score %.2f, want 7/11", s)
	}
	if md := summary([]*pkgResult{res}); !strings.Contains(md, "lived: calc.go:12 boundary") {
		t.Errorf("summary lacks the surviving mutants:\n%s", md)
	}
}

// TestNamedMutantsStillApply checks that every named mutant's text occurs
// exactly once in its file: the tool is not part of CI, so a renamed
// package or an edited line would otherwise silently turn a mutant into
// "not viable" on the next run.
//
// Deliberate bug it catches: a named mutant left pointing at a package the
// code moved out of (internal/seed → internal/seedengine).
func TestNamedMutantsStillApply(t *testing.T) {
	const module = "github.com/central/central/"
	for _, n := range namedMutants {
		rel, ok := strings.CutPrefix(n.Pkg, module)
		if !ok {
			t.Errorf("%q: package %s is outside the module", n.Name, n.Pkg)
			continue
		}
		src, err := os.ReadFile(filepath.Join("..", "..", "..", rel, n.File))
		if err != nil {
			t.Errorf("%q: %v", n.Name, err)
			continue
		}
		if c := bytes.Count(src, []byte(n.Old)); c != 1 {
			t.Errorf("%q: %q occurs %d times in %s/%s, want once", n.Name, n.Old, c, rel, n.File)
		}
	}
}

// TestDraw: -sample draws exactly N distinct mutants, the same ones for the
// same seed, and means "all" when off or not smaller than the package.
// Bugs caught: the sample drawn from a fresh seed each run (not
// repeatable), N ignored, a sample bigger than the package.
func TestDraw(t *testing.T) {
	c := config{sample: 20, seed: 7}
	a, b := c.draw(100), c.draw(100)
	if len(a) != 20 {
		t.Fatalf("drew %d, want 20", len(a))
	}
	for i := range a {
		if i < 0 || i >= 100 || !b[i] {
			t.Fatalf("draws differ or out of range: %v vs %v", a, b)
		}
	}
	if c.seed = 8; len(c.draw(100)) != 20 {
		t.Error("another seed drew another count")
	}
	if c.draw(20) != nil || c.draw(5) != nil || (&config{}).draw(100) != nil {
		t.Error("draw not nil (all) when the sample is off or not smaller than the package")
	}
}

// TestReadCarried: -carry reads the killed and timed-out mutants of a log,
// by package, including lines a -new run annotated with their outcome
// before the new tests. Bug caught: the annotation kept in the key (such a
// mutant then never matches and is run again).
func TestReadCarried(t *testing.T) {
	log := "github.com/x/p: 3 mutants, clean run 1s, 2 tests\n" +
		"  killed      a.go:1 drop: drop f()\n" +
		"  timed out   a.go:2 negate: negate condition ok (before the new tests: lived)\n" +
		"  lived       a.go:3 boundary: < → <= in a < b\n"
	p := filepath.Join(t.TempDir(), "log")
	if err := os.WriteFile(p, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readCarried(p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"a.go:1 drop: drop f()": true, "a.go:2 negate: negate condition ok": true}
	if len(got["github.com/x/p"]) != len(want) {
		t.Fatalf("carried %v, want %v", got, want)
	}
	for k := range want {
		if !got["github.com/x/p"][k] {
			t.Errorf("%q not carried; got %v", k, got)
		}
	}
}
