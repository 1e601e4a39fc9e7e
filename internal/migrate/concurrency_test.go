package migrate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
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
		cmds[i] = exec.Command(os.Args[0], "-test.run=^TestHelperMigratorProcess$", "-test.count=1")
		cmds[i].Env = append(os.Environ(), "MIGRATE_HELPER_DSN="+dsn)
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

// TestHelperMigratorProcess is the child of TestUpConcurrentProcesses.
func TestHelperMigratorProcess(t *testing.T) {
	dsn := os.Getenv("MIGRATE_HELPER_DSN")
	if dsn == "" {
		return // only meaningful as a child process
	}
	res, err := migrate.Up(context.Background(), openDB(t, dsn), loadFS(t, "testdata/basic"), migrate.WithLockTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(helperResult{Applied: len(res.Applied)})
	fmt.Printf("\n%s\n", b)
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
