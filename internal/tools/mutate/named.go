package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// named is a hand-written mutant: a text replacement that must match
// exactly once. These are the bugs a reviewer fears most in this code base
// and that no generic operator makes.
type named struct {
	Pkg, File, Name, Old, New string
}

func (n named) mutant() Mutant {
	return Mutant{File: n.File, Kind: "named", Desc: n.Name}
}

var namedMutants = []named{
	{
		Pkg: "github.com/central/central/internal/seedengine", File: "runner.go",
		Name: "the ledger row is written outside the seed's transaction",
		Old:  "c := r.db.Writer(ctx)", New: "c := r.db.Writer(context.Background())",
	},
	{
		Pkg: "github.com/central/central/internal/seedengine", File: "lock.go",
		Name: "a different seed lock key",
		Old:  `pglock.Key("central_seed_run")`, New: `pglock.Key("central_seed_run_mutant")`,
	},
	{
		Pkg: "github.com/central/central/internal/migrate", File: "lock.go",
		Name: "a lock key other than the atlas CLI's",
		Old:  `const lockName = "atlas_migrate_execute"`, New: `const lockName = "atlas_migrate_execute_mutant"`,
	},
	{
		Pkg: "github.com/central/central/internal/pglock", File: "pglock.go",
		Name: "the lock is taken on a key other than the caller's",
		Old:  `tx.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key)`, New: `tx.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key+1)`,
	},
}

func namedFor(pkg string) []named {
	var out []named
	for _, n := range namedMutants {
		if n.Pkg == pkg {
			out = append(out, n)
		}
	}
	return out
}

// runNamed compiles the package with the one replacement and runs its tests.
// With skip, the tests it matches are left out.
func (c *config) runNamed(ctx context.Context, pkg *goPackage, sources map[string][]byte, n named, work string, timeout time.Duration, skip *regexp.Regexp) string {
	src, ok := sources[n.File]
	if !ok || bytes.Count(src, []byte(n.Old)) != 1 {
		fmt.Fprintf(c.log, "  named mutant %q: %q no longer occurs exactly once in %s; update internal/tools/mutate/named.go\n", n.Name, n.Old, n.File)
		return NotViable
	}
	dir := filepath.Join(work, "named")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return NotViable
	}
	p := filepath.Join(dir, n.File)
	if err := os.WriteFile(p, []byte(strings.Replace(string(src), n.Old, n.New, 1)), 0o644); err != nil {
		return NotViable
	}
	bin := filepath.Join(dir, "named.test")
	if out, err := compile(ctx, pkg, map[string]string{filepath.Join(pkg.Dir, n.File): p}, dir, bin); err != nil {
		fmt.Fprintf(c.log, "  named mutant %q does not compile:\n%s", n.Name, out)
		return NotViable
	}
	var extra []string
	if skip != nil {
		extra = []string{"-test.skip=" + skip.String()}
	}
	return outcome(runTests(ctx, pkg.Dir, bin, -1, "", "", timeout, extra...))
}
