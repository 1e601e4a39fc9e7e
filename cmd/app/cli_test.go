package main

import (
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/central/central/internal/dbtest"
)

// TestCLIWithoutDatabase runs the commands that end before any database is
// needed: help, usage errors (exit 2), configuration errors (exit 3), an
// unreachable database (exit 1) and version.
func TestCLIWithoutDatabase(t *testing.T) {
	t.Parallel()
	unreachable := map[string]string{
		"POSTGRES_READWRITE_URL": "postgres://central:secret@127.0.0.1:1/central?sslmode=disable",
		"POSTGRES_READONLY_URL":  "postgres://central_ro:secret@127.0.0.1:1/central?sslmode=disable",
	}
	for _, tc := range []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stdout string // substrings
		stderr string
	}{
		{name: "help", args: []string{"--help"}, code: 0, stdout: "Usage:\n  app [serve]"},
		{name: "help word", args: []string{"help"}, code: 0, stdout: "Exit codes: 0 success, 1 failure, 2 usage error, 3 invalid configuration."},
		{name: "serve help", args: []string{"serve", "--help"}, code: 0, stdout: "Usage: app serve"},
		{name: "seed help lists flags", args: []string{"db", "seed", "--help"}, code: 0, stdout: "-dry-run"},
		{name: "seed status help", args: []string{"db", "seed", "status", "-h"}, code: 0, stdout: "Usage: app db seed status"},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: `app: unknown command "frobnicate"`},
		{name: "db alone", args: []string{"db"}, code: 2, stderr: `unknown command "db"`},
		{name: "unknown flag", args: []string{"db", "migrate", "--force"}, code: 2, stderr: "flag provided but not defined: -force"},
		{name: "extra argument", args: []string{"db", "status", "now"}, code: 2, stderr: "unexpected arguments: now"},
		{name: "diff without a name", args: []string{"db", "diff"}, code: 2, stderr: "exactly one NAME"},
		{name: "rekey batch size", args: []string{"db", "rekey", "--batch-size", "0"}, code: 2, stderr: "--batch-size 0 out of range"},
		{name: "bad APP_ENV", env: map[string]string{"APP_ENV": "nonsense"}, args: []string{"db", "status"}, code: 3, stderr: `APP_ENV: "nonsense" is not one of development, test, production`},
		{name: "bad HTTP_ADDR", env: map[string]string{"HTTP_ADDR": "localhost"}, code: 3, stderr: "HTTP_ADDR"},
		{name: "read-write without read-only", env: map[string]string{"POSTGRES_READWRITE_URL": unreachable["POSTGRES_READWRITE_URL"]}, args: []string{"db", "migrate"}, code: 3, stderr: "POSTGRES_READONLY"},
		{name: "production needs a database", env: map[string]string{"APP_ENV": "production"}, args: []string{"db", "status"}, code: 3, stderr: "POSTGRES_READWRITE_URL"},
		// The pools retry for a while (db.StartPingTimeout), then the
		// command's own error line says what is wrong.
		{name: "unreachable database", env: unreachable, args: []string{"db", "status"}, code: 1, stderr: "\napp db status: start: db: readwrite pool cannot reach PostgreSQL at 127.0.0.1:1"},
		{name: "version", args: []string{"version"}, code: 0, stdout: "central dev\n"},
		{name: "version needs no configuration", env: map[string]string{"APP_ENV": "nonsense"}, args: []string{"version"}, code: 0, stdout: "central dev\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Should a case reach the embedded server by mistake, it
			// would not write into the repository.
			env := map[string]string{"DATA_DIR": t.TempDir()}
			maps.Copy(env, tc.env)
			res := runCLI(t, env, tc.args...)
			if res.code != tc.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, tc.code, res.stdout, res.stderr)
			}
			if !strings.Contains(res.stdout, tc.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.stdout, res.stdout)
			}
			if !strings.Contains(res.stderr, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, res.stderr)
			}
			if strings.Contains(res.stdout+res.stderr, "secret") {
				t.Errorf("the output reveals a password:\n%s\n%s", res.stdout, res.stderr)
			}
		})
	}
}

// migrationNames lists the project's migration files without .sql.
func migrationNames(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("find the migrations: %v (%d files)", err, len(files))
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = strings.TrimSuffix(filepath.Base(f), ".sql")
	}
	return names
}

// TestCLIDatabase runs the db commands against a blank external database:
// status shows the migrations pending, migrate applies them (then is a
// no-op), status lists them applied; seed --dry-run changes nothing, seed
// applies the development seed, seed status lists it, and rekey runs.
func TestCLIDatabase(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t, dbtest.Empty())
	env := map[string]string{
		"POSTGRES_READWRITE_URL": db.URL,
		"POSTGRES_READONLY_URL":  db.ReadOnlyURL,
		"DATA_DIR":               t.TempDir(),
		"LOG_LEVEL":              "warn",
	}
	conn := connect(t, db.URL)
	migrations := migrationNames(t)

	step := func(want int, args ...string) string {
		t.Helper()
		res := runCLI(t, env, args...)
		if res.code != want {
			t.Fatalf("app %s: exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), res.code, want, res.stdout, res.stderr)
		}
		return res.stdout
	}
	contains := func(out string, subs ...string) {
		t.Helper()
		for _, s := range subs {
			if !strings.Contains(out, s) {
				t.Errorf("output lacks %q:\n%s", s, out)
			}
		}
	}

	// A server that answers with an error fails at once, naming the cause.
	missing := map[string]string{"DATA_DIR": env["DATA_DIR"]}
	for name, u := range map[string]string{"POSTGRES_READWRITE_URL": db.URL, "POSTGRES_READONLY_URL": db.ReadOnlyURL} {
		parsed, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		parsed.Path = "/no_such_database"
		missing[name] = parsed.String()
	}
	if res := runCLI(t, missing, "db", "migrate"); res.code != 1 || !strings.Contains(res.stderr, `app db migrate: start: db: readwrite pool`) ||
		!strings.Contains(res.stderr, `database "no_such_database" does not exist`) {
		t.Errorf("db migrate on a missing database: exit code %d, want 1, and an error naming it:\n%s", res.code, res.stderr)
	}

	out := step(0, "db", "status")
	contains(out, "current version: (none)")
	for _, m := range migrations {
		contains(out, m+".sql  pending")
	}
	contains(out, "go data migrations:\n  20261201010516_backfill_profile_locale  pending")

	// --dry-run lists the SQL files and the Go steps in the order they run,
	// and runs nothing.
	out = step(0, "db", "migrate", "--dry-run")
	contains(out, "would run, in order:\n")
	if !regexp.MustCompile(`(?s)20261201010516_add_user_profile\.sql\n\s+go step 20261201010516_backfill_profile_locale`).MatchString(out) {
		t.Errorf("dry run does not list the Go step after its SQL:\n%s", out)
	}
	requireCount(t, conn, 0, "SELECT count(*) FROM pg_tables WHERE tablename = 'users'")

	contains(step(0, "db", "migrate"), "go step 20261201010516_backfill_profile_locale: ok")
	out = step(0, "db", "status")
	contains(out, "20261201010516_backfill_profile_locale  applied")
	for _, m := range migrations {
		if !regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(m) + `\s+applied\s+\d{4}-`).MatchString(out) {
			t.Errorf("status does not list %s as applied:\n%s", m, out)
		}
	}
	contains(step(0, "db", "migrate"), "the database is up to date: no pending migration")
	contains(step(0, "db", "migrate", "--dry-run"), "the database is up to date: nothing would run")

	contains(step(0, "db", "seed", "--dry-run"), "would apply 1 development seed(s):\n  0001_technova\n")
	requireCount(t, conn, 0, "SELECT count(*) FROM seeds")
	requireCount(t, conn, 0, "SELECT count(*) FROM tenants")
	contains(step(0, "db", "seed"), "applied 0001_technova\n")
	requireCount(t, conn, 1, "SELECT count(*) FROM seeds")
	out = step(0, "db", "seed", "status")
	if !regexp.MustCompile(`(?m)^0001_technova\s+development\s+\d{4}-\d\d-\d\dT\S+\s+ok$`).MatchString(out) {
		t.Errorf("seed status does not list 0001_technova as applied:\n%s", out)
	}
	contains(step(0, "db", "seed", "--dry-run"), "no pending development seed")
	contains(step(0, "db", "seed"), "no pending development seed")
	requireCount(t, conn, 1, "SELECT count(*) FROM seeds")

	contains(step(0, "db", "rekey"), "under dev:1")
}

// TestCLIDiff runs `app db diff` on a copy of the migration directory: the
// ent schema and the migrations agree, so it writes nothing. It replays the
// directory on a throwaway embedded PostgreSQL.
func TestCLIDiff(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	before := map[string]string{}
	files, err := filepath.Glob("../../migrations/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if filepath.Ext(f) != ".sql" && filepath.Base(f) != "atlas.sum" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		before[filepath.Base(f)] = string(b)
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := runCLI(t, map[string]string{"DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn"}, "db", "diff", "--dir", dir, "nothing_to_do")
	if res.code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stdout, "no changes") {
		t.Errorf("stdout does not say there are no changes:\n%s", res.stdout)
	}
	after := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		after[e.Name()] = string(b)
	}
	if !maps.Equal(before, after) {
		t.Errorf("db diff changed the directory: before %v, after %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
	}
}
