package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Outcome of one mutant.
const (
	Killed     = "killed"
	TimedOut   = "timed out" // counted as killed
	Lived      = "lived"
	NotCovered = "not covered"
	NotViable  = "not viable" // the compiler refused it; not counted
)

type config struct {
	match      *regexp.Regexp
	carried    map[string]map[string]bool // package → mutants killed in an earlier run
	newTests   *regexp.Regexp             // tests written after the "before" score
	minTimeout time.Duration
	named      bool
	list       bool
	log        io.Writer
	dir        string // where package paths are resolved ("": the current directory)
	sample     int    // >0: run only this many generic mutants per package, drawn at random
	seed       uint64 // the random seed of sample
	// progress, when set, is called after each mutant with the package's
	// results so far (for a summary that survives a stopped run).
	progress func(*pkgResult)
}

type result struct {
	Mutant
	Outcome string
	// Before is the outcome with the tests matching -new left out ("" when
	// no -new was given): the score before those tests were written.
	Before string
}

type pkgResult struct {
	Pkg      string
	Results  []result
	Clean    time.Duration // the run with no mutant
	Duration time.Duration // the whole package
	Left     int           // mutants not run yet (a run still going, or stopped)
	// Sampled is how many of All generic mutants a -sample run drew (with
	// Seed); 0 when every mutant ran.
	Sampled, All int
	Seed         uint64
}

// count returns how many results have each outcome.
func (p *pkgResult) count() map[string]int {
	c := map[string]int{}
	for _, r := range p.Results {
		c[r.Outcome]++
	}
	return c
}

// Score is killed ÷ (killed + lived + not covered), timeouts counting as killed.
func (p *pkgResult) Score() float64 { return score(p.count()) }

// ScoreBefore is Score without the tests matching -new; ok is false when
// there was no -new.
func (p *pkgResult) ScoreBefore() (s float64, ok bool) {
	c := map[string]int{}
	for _, r := range p.Results {
		if r.Before == "" && r.Outcome != NotViable {
			return 0, false
		}
		c[r.Before]++
	}
	return score(c), true
}

func score(c map[string]int) float64 {
	k := c[Killed] + c[TimedOut]
	d := k + c[Lived] + c[NotCovered]
	if d == 0 {
		return 0
	}
	return float64(k) / float64(d)
}

type goPackage struct {
	Dir        string
	Name       string
	ImportPath string
	GoFiles    []string
}

func listPackage(ctx context.Context, dir, pkg string) (*goPackage, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-json", pkg)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	var p goPackage
	if err := json.Unmarshal(out, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

var generatedRE = regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)

func (c *config) mutatePackage(ctx context.Context, pkgPath string) (*pkgResult, error) {
	started := time.Now()
	pkg, err := listPackage(ctx, c.dir, pkgPath)
	if err != nil {
		return nil, err
	}
	res := &pkgResult{Pkg: pkg.ImportPath}
	work, err := os.MkdirTemp("", "mutate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)

	sources := map[string][]byte{}
	for _, f := range pkg.GoFiles {
		src, err := os.ReadFile(filepath.Join(pkg.Dir, f))
		if err != nil {
			return nil, err
		}
		if generatedRE.Match(src) {
			continue
		}
		sources[f] = src
	}

	// Build the schemata binary, leaving out the lines the compiler refuses.
	skip := map[string]map[int]bool{}
	var mutants []Mutant
	var bin string
	for round := 0; ; round++ {
		var overlay map[string]string
		mutants, overlay, err = writeSchemata(pkg, sources, skip, work)
		if err != nil {
			return nil, err
		}
		if c.list {
			for _, m := range mutants {
				if c.match == nil || c.match.MatchString(m.String()) {
					fmt.Fprintln(c.log, pkg.ImportPath, m)
				}
			}
			for _, n := range namedFor(pkg.ImportPath) {
				fmt.Fprintln(c.log, pkg.ImportPath, n.mutant())
			}
			return res, nil
		}
		bin = filepath.Join(work, "schemata.test")
		out, err := compile(ctx, pkg, overlay, work, bin)
		if err == nil {
			break
		}
		bad := refusedLines(out, pkg.Dir)
		if len(bad) == 0 || round == 20 {
			return nil, fmt.Errorf("the schemata do not compile:\n%s", out)
		}
		for f, lines := range bad {
			if skip[f] == nil {
				skip[f] = map[int]bool{}
			}
			for l := range lines {
				skip[f][l] = true
			}
		}
	}
	for f, lines := range skip {
		for l := range lines {
			res.Results = append(res.Results, result{Mutant: Mutant{File: f, Line: l, Kind: "any", Desc: "every mutant on this line (refused by the compiler)"}, Outcome: NotViable})
		}
	}

	// The clean run: must pass, and tells which mutants the tests reach.
	trace := filepath.Join(work, "trace")
	t0 := time.Now()
	if out, err := runTests(ctx, pkg.Dir, bin, -1, "", trace, 3*c.minTimeout); err != nil {
		return nil, fmt.Errorf("the tests fail with no mutant active: %w\n%s", err, tail(out))
	}
	res.Clean = time.Since(t0)
	reached, err := readTrace(trace)
	if err != nil {
		return nil, err
	}
	// Which top-level tests reach each mutant: a mutant runs only those.
	reach, err := c.testsReaching(ctx, pkg.Dir, bin, work)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(c.log, "%s: %d mutants, clean run %s, %d tests\n", pkg.ImportPath, len(mutants), res.Clean.Round(time.Second), len(reach.took))

	drawn := c.draw(len(mutants))
	if drawn != nil {
		res.Sampled, res.All, res.Seed = c.sample, len(mutants), c.seed
		fmt.Fprintf(c.log, "  a random sample of %d of the %d mutants (seed %d)\n", c.sample, len(mutants), c.seed)
	}
	for i, m := range mutants {
		if c.match != nil && !c.match.MatchString(m.String()) {
			continue
		}
		if drawn != nil && !drawn[i] {
			continue
		}
		res.Left = len(mutants) - i
		res.Duration = time.Since(started)
		if c.progress != nil && i%10 == 0 {
			c.progress(res)
		}
		r := result{Mutant: m}
		switch {
		case c.carried[pkg.ImportPath][m.String()]:
			r.Outcome = Killed
		case !reached[m.ID]:
			r.Outcome = NotCovered
		case c.newTests == nil:
			run, took := reach.selection(m.ID, res.Clean, nil)
			r.Outcome = outcome(runTests(ctx, pkg.Dir, bin, m.ID, run, "", max(3*took, c.minTimeout)))
		default:
			// The old tests first; the new ones only for what they left.
			keepOld := func(n string) bool { return !c.newTests.MatchString(n) }
			keepNew := func(n string) bool { return c.newTests.MatchString(n) }
			if run, took := reach.selection(m.ID, res.Clean, keepOld); run == "-" {
				r.Before = NotCovered
			} else {
				r.Before = outcome(runTests(ctx, pkg.Dir, bin, m.ID, run, "", max(3*took, c.minTimeout)))
			}
			r.Outcome = r.Before
			if r.Before == Lived || r.Before == NotCovered {
				if run, took := reach.selection(m.ID, res.Clean, keepNew); run != "-" && run != "" {
					r.Outcome = outcome(runTests(ctx, pkg.Dir, bin, m.ID, run, "", max(3*took, c.minTimeout)))
				}
			}
		}
		if c.newTests != nil && r.Before == "" {
			r.Before = r.Outcome
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if r.Before != "" && r.Before != r.Outcome {
			fmt.Fprintf(c.log, "  %-11s %s (before the new tests: %s)\n", r.Outcome, m, r.Before)
		} else {
			fmt.Fprintf(c.log, "  %-11s %s\n", r.Outcome, m)
		}
		res.Results = append(res.Results, r)
	}
	timeout := max(3*res.Clean, c.minTimeout)
	if c.named {
		for _, n := range namedFor(pkg.ImportPath) {
			m := n.mutant()
			if c.match != nil && !c.match.MatchString(m.String()) {
				continue
			}
			r := result{Mutant: m, Outcome: c.runNamed(ctx, pkg, sources, n, work, timeout, nil)}
			if c.newTests != nil {
				r.Before = r.Outcome
				if r.Outcome == Killed || r.Outcome == TimedOut {
					r.Before = c.runNamed(ctx, pkg, sources, n, work, timeout, c.newTests)
				}
			}
			if r.Before != "" && r.Before != r.Outcome {
				fmt.Fprintf(c.log, "  %-11s %s (before the new tests: %s)\n", r.Outcome, m, r.Before)
			} else {
				fmt.Fprintf(c.log, "  %-11s %s\n", r.Outcome, m)
			}
			res.Results = append(res.Results, r)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
	}
	res.Duration = time.Since(started)
	res.Left = 0
	return res, nil
}

// draw picks c.sample of n mutant indexes at random (seeded, so a run can
// be repeated); nil means all of them.
func (c *config) draw(n int) map[int]bool {
	if c.sample <= 0 || c.sample >= n {
		return nil
	}
	r := rand.New(rand.NewPCG(c.seed, 0))
	drawn := map[int]bool{}
	for _, i := range r.Perm(n)[:c.sample] {
		drawn[i] = true
	}
	return drawn
}

func outcome(_ []byte, err error) string {
	switch {
	case err == nil:
		return Lived
	case errors.Is(err, context.DeadlineExceeded):
		return TimedOut
	default:
		return Killed
	}
}

// writeSchemata writes every file's schemata and the switchboard into work
// and returns the mutants and the overlay that substitutes them.
func writeSchemata(pkg *goPackage, sources map[string][]byte, skip map[string]map[int]bool, work string) ([]Mutant, map[string]string, error) {
	overlay := map[string]string{}
	var all []Mutant
	next := 1
	for _, f := range sortedKeys(sources) {
		out, ms, err := schemaFile(f, sources[f], &next, skip[f])
		if err != nil {
			return nil, nil, err
		}
		p := filepath.Join(work, "src", f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
			return nil, nil, err
		}
		overlay[filepath.Join(pkg.Dir, f)] = p
		all = append(all, ms...)
	}
	h := filepath.Join(work, "src", "zz_mutant_switch.go")
	if err := os.WriteFile(h, []byte(fmt.Sprintf(helperFile, pkg.Name)), 0o644); err != nil {
		return nil, nil, err
	}
	overlay[filepath.Join(pkg.Dir, "zz_mutant_switch.go")] = h
	return all, overlay, nil
}

// compile builds pkg's test binary with overlay; its output is the
// compiler's complaint on failure.
func compile(ctx context.Context, pkg *goPackage, overlay map[string]string, work, bin string) ([]byte, error) {
	o, err := json.Marshal(map[string]any{"Replace": overlay})
	if err != nil {
		return nil, err
	}
	of := filepath.Join(work, "overlay.json")
	if err := os.WriteFile(of, o, 0o644); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "go", "test", "-c", "-overlay", of, "-o", bin, ".")
	cmd.Dir = pkg.Dir
	return cmd.CombinedOutput()
}

var compileErrRE = regexp.MustCompile(`(?m)^(?:\./)?([^\s:]+\.go):(\d+):\d+: `)

// refusedLines maps file base names to the lines the compiler refused.
func refusedLines(out []byte, dir string) map[string]map[int]bool {
	bad := map[string]map[int]bool{}
	for _, m := range compileErrRE.FindAllSubmatch(out, -1) {
		f := filepath.Base(string(m[1]))
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		l, _ := strconv.Atoi(string(m[2]))
		if bad[f] == nil {
			bad[f] = map[int]bool{}
		}
		bad[f][l] = true
	}
	return bad
}

// runTests runs a test binary in the package directory with mutant id
// active (-1: none), failing fast, killing the process group at timeout.
func runTests(ctx context.Context, dir, bin string, id int, run, trace string, timeout time.Duration, extra ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	args := []string{"-test.failfast", "-test.count=1", "-test.timeout=" + (timeout + 30*time.Second).String()}
	if run != "" {
		args = append(args, "-test.run="+run)
	}
	args = append(args, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CENTRAL_MUTANT="+strconv.Itoa(id))
	if trace != "" {
		cmd.Env = append(cmd.Env, "CENTRAL_MUTANT_TRACE="+trace)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.Bytes(), err
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return out.Bytes(), ctx.Err()
	}
}

func readTrace(path string) (map[int]bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[int]bool{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	seen := map[int]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if id, err := strconv.Atoi(strings.TrimSpace(sc.Text())); err == nil {
			seen[id] = true
		}
	}
	return seen, sc.Err()
}

func tail(b []byte) string {
	const n = 4000
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// reachMap says which top-level tests reach each mutant.
type reachMap struct {
	tests map[int][]string
	took  map[string]time.Duration
}

// testsReaching runs each top-level test (and example) alone with the
// trace on. A test that fails alone is dropped from the map; the mutants
// only it reached then run the whole binary.
func (c *config) testsReaching(ctx context.Context, dir, bin, work string) (*reachMap, error) {
	out, err := exec.CommandContext(ctx, bin, "-test.list", ".*").Output()
	if err != nil {
		return nil, fmt.Errorf("list tests: %w", err)
	}
	r := &reachMap{tests: map[int][]string{}, took: map[string]time.Duration{}}
	for i, name := range strings.Fields(string(out)) {
		if strings.HasPrefix(name, "Benchmark") {
			continue
		}
		trace := filepath.Join(work, fmt.Sprintf("trace-%d", i))
		t0 := time.Now()
		if out, err := runTests(ctx, dir, bin, -1, "^"+regexp.QuoteMeta(name)+"$", trace, 3*c.minTimeout+time.Minute); err != nil {
			fmt.Fprintf(c.log, "  %s fails when run alone (%v); its mutants run every test\n%s", name, err, tail(out))
			continue
		}
		r.took[name] = time.Since(t0)
		ids, err := readTrace(trace)
		if err != nil {
			return nil, err
		}
		for id := range ids {
			r.tests[id] = append(r.tests[id], name)
		}
	}
	return r, nil
}

// selection is the -test.run pattern for mutant id and how long those tests
// took clean: "" (every test) when no single test was seen reaching it,
// "-" when tests reach it but none that keep (nil: all) accepts.
func (r *reachMap) selection(id int, all time.Duration, keep func(string) bool) (string, time.Duration) {
	names := r.tests[id]
	if len(names) == 0 {
		return "", all
	}
	var took time.Duration
	var quoted []string
	for _, n := range names {
		if keep != nil && !keep(n) {
			continue
		}
		quoted = append(quoted, regexp.QuoteMeta(n))
		took += r.took[n]
	}
	if len(quoted) == 0 {
		return "-", 0
	}
	return "^(" + strings.Join(quoted, "|") + ")$", took
}

var logLineRE = regexp.MustCompile(`^  (killed|timed out)\s+(\S.*?)(?: \(before the new tests: [a-z ]+\))?$`)
var logPkgRE = regexp.MustCompile(`^(\S+): \d+ mutants, clean run`)

// readCarried reads the killed mutants of an earlier run's log, by package.
func readCarried(path string) (map[string]map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]map[string]bool{}
	pkg := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := logPkgRE.FindStringSubmatch(sc.Text()); m != nil {
			pkg = m[1]
			out[pkg] = map[string]bool{}
		} else if m := logLineRE.FindStringSubmatch(sc.Text()); m != nil && pkg != "" {
			out[pkg][m[2]] = true
		}
	}
	return out, sc.Err()
}
