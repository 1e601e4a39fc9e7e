package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"time"
)

// defaultPackages are the packages whose guarantees matter most.
var defaultPackages = []string{
	"./internal/richid", "./internal/migrate", "./internal/seedengine", "./internal/seed", "./internal/pglock",
	"./internal/db", "./internal/replica", "./internal/sensitive", "./internal/config",
	"./internal/httpapi",
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("mutate", flag.ContinueOnError)
	chdir := fs.String("C", "", "resolve the package paths in this directory (default: the current one)")
	out := fs.String("o", "", "write the Markdown summary to this file (too)")
	match := fs.String("match", "", "only mutants whose \"file:line kind: description\" matches this regexp")
	minTimeout := fs.Duration("timeout", 30*time.Second, "least time a mutant's test run may take (3x the clean run when longer)")
	noNamed := fs.Bool("no-named", false, "skip the named mutants (each needs its own compile)")
	list := fs.Bool("list", false, "list the mutants without running any test")
	newTests := fs.String("new", "", "regexp of the tests written since the last summary: each mutant also gets its outcome without them (the score before)")
	sample := fs.Int("sample", 0, "run only this many generic mutants per package, drawn at random (0: all); the summary says so")
	seed := fs.Uint64("seed", 1, "the random seed of -sample, so a sampled run can be repeated")
	carry := fs.String("carry", "", "a log of an earlier run: the mutants it killed count as killed without running (new tests only add kills)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: mutate [flags] [package dirs]   (default: %v)\n", defaultPackages)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	var re *regexp.Regexp
	if *match != "" {
		var err error
		if re, err = regexp.Compile(*match); err != nil {
			return fmt.Errorf("-match: %w", err)
		}
	}
	pkgs := fs.Args()
	if len(pkgs) == 0 {
		pkgs = defaultPackages
	}
	cfg := config{match: re, minTimeout: *minTimeout, named: !*noNamed, list: *list, log: stdout, dir: *chdir, sample: *sample, seed: *seed}
	if *newTests != "" {
		var err error
		if cfg.newTests, err = regexp.Compile(*newTests); err != nil {
			return fmt.Errorf("-new: %w", err)
		}
	}
	if *carry != "" {
		var err error
		if cfg.carried, err = readCarried(*carry); err != nil {
			return fmt.Errorf("-carry: %w", err)
		}
	}
	var results []*pkgResult
	if *out != "" && !*list {
		cfg.progress = func(r *pkgResult) {
			_ = os.WriteFile(*out, []byte(summary(append(results[:len(results):len(results)], r))), 0o644)
		}
	}
	for _, p := range pkgs {
		res, err := cfg.mutatePackage(ctx, p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		results = append(results, res)
		if *out != "" && !*list {
			// Rewritten after each package, so a long run leaves its
			// finished packages behind if stopped.
			if err := os.WriteFile(*out, []byte(summary(results)), 0o644); err != nil {
				return err
			}
		}
	}
	fmt.Fprint(stdout, "\n", summary(results))
	return nil
}
