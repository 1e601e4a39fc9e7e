package migrate_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/central/central/internal/migrate"
)

const migrators = 8

// N migrators with their own connections boot at once: exactly one applies
// each file, the others wait for the lock and find the schema current.
func TestUpConcurrentGoroutines(t *testing.T) {
	ctx := context.Background()
	_, dsn := newDB(t)
	dir := loadFS(t, "testdata/basic")
	var (
		wg      sync.WaitGroup
		results = make([]*migrate.Result, migrators)
		errs    = make([]error, migrators)
		start   = make(chan struct{})
	)
	for i := range migrators {
		db := openDB(t, dsn)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = migrate.Up(ctx, db, dir, migrate.WithLockTimeout(time.Minute))
		}()
	}
	close(start)
	wg.Wait()
	applied := 0
	for i := range migrators {
		if errs[i] != nil {
			t.Fatalf("migrator %d: %v", i, errs[i])
		}
		applied += len(results[i].Applied)
		if results[i].Version != "20260101000003" {
			t.Errorf("migrator %d ended at %q", i, results[i].Version)
		}
	}
	if applied != 3 {
		t.Errorf("%d file applications across migrators, want 3", applied)
	}
	assertAppliedOnce(t, dsn)
}

// Same, with separate processes (the test binary re-executed).
func TestUpConcurrentProcesses(t *testing.T) {
	_, dsn := newDB(t)
	cmds := make([]*exec.Cmd, migrators)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0]) // TestMain runs helperMigrator instead of the tests
		cmds[i].Env = append(os.Environ(), helperDSNEnv+"="+dsn)
	}
	outs := make([][]byte, migrators)
	errs := make([]error, migrators)
	var wg sync.WaitGroup
	for i, c := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = c.Output()
		}()
	}
	wg.Wait()
	applied := 0
	for i := range cmds {
		if errs[i] != nil {
			t.Fatalf("process %d: %v\n%s", i, errs[i], outs[i])
		}
		var r helperResult
		if err := json.Unmarshal(lastLine(outs[i]), &r); err != nil {
			t.Fatalf("process %d output %q: %v", i, outs[i], err)
		}
		applied += r.Applied
	}
	if applied != 3 {
		t.Errorf("%d file applications across processes, want 3", applied)
	}
	assertAppliedOnce(t, dsn)
}

type helperResult struct{ Applied int }

// helperDSNEnv, when set, makes the test binary a migrator process of
// TestUpConcurrentProcesses (see TestMain): it migrates that database and
// prints a helperResult. It is not a test, so it cannot pass vacuously when
// run without its parent.
const helperDSNEnv = "MIGRATE_HELPER_DSN"

func helperMigrator(dsn string) int {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	m := fstest.MapFS{}
	ents, err := os.ReadDir("testdata/basic")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("testdata/basic", e.Name()))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		m[e.Name()] = &fstest.MapFile{Data: b}
	}
	res, err := migrate.Up(context.Background(), db, m, migrate.WithLockTimeout(time.Minute))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	b, err := json.Marshal(helperResult{Applied: len(res.Applied)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("\n%s\n", b)
	return 0
}

func assertAppliedOnce(t *testing.T, dsn string) {
	t.Helper()
	db := openDB(t, dsn)
	got := queryStrings(t, db, `SELECT version || ':' || count(*) FROM migration_log GROUP BY version ORDER BY version`)
	want := "[20260101000001:1 20260101000002:1 20260101000003:1]"
	if fmt.Sprint(got) != want {
		t.Fatalf("migration_log %v, want %s", got, want)
	}
}

func lastLine(b []byte) []byte {
	lines := splitLines(b)
	for i := len(lines) - 1; i >= 0; i-- {
		if len(lines[i]) > 0 && lines[i][0] == '{' {
			return lines[i]
		}
	}
	return nil
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	start := 0
	for i, c := range b {
		if c == '\n' {
			out = append(out, b[start:i])
			start = i + 1
		}
	}
	return append(out, b[start:])
}
