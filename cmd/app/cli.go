package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"go.uber.org/zap"

	"github.com/central/central/internal/app"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/logging"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitConfig  = 3
)

// usageError is a command line the program cannot act on.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// configError is an invalid configuration.
type configError struct{ err error }

func (e configError) Error() string { return e.err.Error() }
func (e configError) Unwrap() error { return e.err }

const usage = `Central: the multi-tenant data layer's server and database tools.

Usage:
  app [serve]                    start (embedded PostgreSQL if none is configured), migrate, seed, serve HTTP
  app db migrate [--dry-run]     apply pending migrations and Go data migrations
  app db status                  applied and pending migrations, with times
  app db diff NAME [flags]       write the next migration from ent/schema
  app db seed [--dry-run]        run pending seeds
  app db seed status             the seed ledger: name, environment, applied at, hash ok
  app db rekey [--batch-size N]  re-encrypt sensitive columns under the current key
  app version                    print the version

Every command takes --help. Configuration comes from environment variables
(APP_ENV, POSTGRES_READWRITE_URL, HTTP_ADDR, ...; see README.md).
Exit codes: 0 success, 1 failure, 2 usage error, 3 invalid configuration.
`

// command is one leaf of the command tree.
type command struct {
	name  string // e.g. "db seed status"
	usage string // arguments after the name
	help  string
	flags func(fs *flag.FlagSet) func(ctx context.Context, rt *runtime, args []string) error
}

// runtime is what a command gets: output streams and the loaded configuration.
type runtime struct {
	stdout, stderr io.Writer
	lookup         func(string) (string, bool)
	cfg            config.Config
	logger         *zap.Logger
}

// withEnv runs fn with the configuration made runnable (the embedded
// PostgreSQL started if the configuration asks for one), and stops the
// embedded server after fn, whatever fn returned.
func (rt *runtime) withEnv(ctx context.Context, fn func(env *app.Env) error) (err error) {
	env, err := app.Prepare(ctx, rt.cfg, rt.logger, version)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := env.Close(context.WithoutCancel(ctx)); cerr != nil && err == nil {
			err = cerr
		}
	}()
	return fn(env)
}

func commands() []command {
	return []command{
		serveCommand(),
		migrateCommand(), statusCommand(), diffCommand(),
		seedCommand(), seedStatusCommand(), rekeyCommand(),
		versionCommand(),
	}
}

// run executes args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	// Whatever prints (usage, errors, the banner, logs), no secret of the
	// environment gets through: key material and passwords are redacted
	// from every write, whatever shape the variable had.
	red := config.NewRedactor(lookup)
	stdout, stderr = red.Writer(stdout), red.Writer(stderr)
	if len(args) == 0 {
		args = []string{"serve"}
	}
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	cmd, rest, ok := find(args)
	if !ok {
		fmt.Fprintf(stderr, "app: unknown command %q\n\n%s", strings.Join(args, " "), usage)
		return exitUsage
	}
	fs := flag.NewFlagSet("app "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: app %s%s\n\n%s\n", cmd.name, cmd.usage, cmd.help)
		if hasFlags(fs) {
			fmt.Fprintln(fs.Output(), "\nFlags:")
			fs.PrintDefaults()
		}
	}
	action := cmd.flags(fs)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return exitOK
		}
		return exitUsage
	}
	rt := &runtime{stdout: stdout, stderr: stderr, lookup: lookup}
	if cmd.name != "version" {
		cfg, err := config.Load(lookup)
		if err != nil {
			fmt.Fprintf(stderr, "app: invalid configuration:\n%v\n", err)
			return exitConfig
		}
		rt.cfg = cfg
		logger, err := logging.NewTo(cfg.Env, cfg.LogLevel, red.Writer(os.Stderr))
		if err != nil {
			fmt.Fprintf(stderr, "app: %v\n", err)
			return exitConfig
		}
		defer logger.Sync() //nolint:errcheck // stderr sync fails on terminals
		rt.logger = logger
	}
	err := action(ctx, rt, fs.Args())
	var (
		ue usageError
		ce configError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "app %s: %v\n", cmd.name, err)
		fs.Usage()
		return exitUsage
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "app %s: invalid configuration: %v\n", cmd.name, err)
		return exitConfig
	default:
		fmt.Fprintf(stderr, "app %s: %v\n", cmd.name, err)
		return exitFailure
	}
}

// find matches the longest command name at the start of args.
func find(args []string) (command, []string, bool) {
	var (
		best  command
		words int
	)
	for _, c := range commands() {
		name := strings.Fields(c.name)
		if len(name) > len(args) || len(name) <= words {
			continue
		}
		match := true
		for i, w := range name {
			if args[i] != w {
				match = false
				break
			}
		}
		if match {
			best, words = c, len(name)
		}
	}
	return best, args[min(words, len(args)):], words > 0
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

func noArgs(args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Sprintf("unexpected arguments: %s", strings.Join(args, " "))}
	}
	return nil
}
