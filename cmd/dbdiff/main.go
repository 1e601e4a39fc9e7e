package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/central/central/internal/dbdiff"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}

const usage = `usage: dbdiff [flags] NAME

Write the next migration from ent/schema into the migrations directory and
rewrite atlas.sum (run from the repository root after go generate ./ent).
Destructive changes are refused unless --allow-destructive.

flags:
`

// run is main without the process: testable, and every failure is an exit
// code with a message on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	fs := flag.NewFlagSet("dbdiff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	o := dbdiff.Flags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := o.Resolve(fs.Args(), lookup); err != nil {
		fmt.Fprintln(stderr, err)
		fs.Usage()
		return 2
	}
	o.Operator = "central dbdiff"
	if err := dbdiff.Run(ctx, stdout, *o); err != nil {
		fmt.Fprintln(stderr, "dbdiff:", err)
		return 1
	}
	return 0
}
