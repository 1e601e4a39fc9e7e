package dbtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// fakeT is a test that may fail, whose cleanups run when asked.
type fakeT struct {
	name     string
	failed   bool
	cleanups []func()
	logs     []string
	errs     []string
}

func (f *fakeT) Name() string      { return f.name }
func (f *fakeT) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) Errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}
func (f *fakeT) Logf(format string, args ...any) {
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}
func (f *fakeT) Failed() bool { return f.failed }
func (f *fakeT) end() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

// TestKeepFailed: with DBTEST_KEEP_FAILED=1 a failed test's database is
// kept and its URL logged; a passing test's database is dropped either way,
// and so is a failed one's without the variable.
//
// Deliberate bugs it catches: the cleanup dropping regardless of the
// setting (a kept database missing), keeping regardless of failure or
// setting (a database left behind), or not naming the database's URL.
func TestKeepFailed(t *testing.T) {
	shared, err := shared.harness()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		keep, failed, wantKept bool
	}{
		{keep: true, failed: true, wantKept: true},
		{keep: true, failed: false, wantKept: false},
		{keep: false, failed: true, wantKept: false},
		{keep: false, failed: false, wantKept: false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("keep=%v failed=%v", tt.keep, tt.failed), func(t *testing.T) {
			h, err := newHarness(ctxT(t), shared.AdminURL("postgres"), shared.urls) // same server, its own setting
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = h.Close(context.Background()) })
			h.keepFailed, h.embedded = tt.keep, shared.embedded
			ft, db := endFakeTest(t, h, tt.failed)
			t.Cleanup(func() { dropDatabase(t, shared, db.Name) })
			if got := dbExists(t, shared.AdminURL("postgres"), db.Name); got != tt.wantKept {
				t.Fatalf("database exists after the test = %v, want %v", got, tt.wantKept)
			}
			logged := strings.Join(ft.logs, "\n")
			if tt.wantKept {
				if !strings.Contains(logged, db.URL) || !strings.Contains(logged, KeepFailedEnv) {
					t.Errorf("log %q does not give the kept database's URL %s", logged, db.URL)
				}
				// The kept database is usable: it is the test's data.
				var name string
				if err := connect(t, db.URL).QueryRow(ctxT(t), "SELECT current_database()").Scan(&name); err != nil || name != db.Name {
					t.Errorf("kept database: connected to %q, %v", name, err)
				}
			} else if logged != "" {
				t.Errorf("logged %q for a database that was dropped", logged)
			}
		})
	}
}

// endFakeTest creates an empty database on h for a fake test that passes
// or fails, then ends that test (running h's cleanup for it).
func endFakeTest(t *testing.T, h *Harness, failed bool) (*fakeT, *DB) {
	t.Helper()
	ft := &fakeT{name: t.Name(), failed: failed}
	opts, err := buildOptions([]Option{Empty()})
	if err != nil {
		t.Fatal(err)
	}
	db, err := h.create(ft, opts)
	if err != nil {
		t.Fatal(err)
	}
	ft.end()
	if len(ft.errs) > 0 {
		t.Fatalf("cleanup errors: %v", ft.errs)
	}
	return ft, db
}

func dropDatabase(t *testing.T, h *Harness, name string) {
	t.Helper()
	if _, err := h.admin.Exec(ctxT(t), "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
		t.Errorf("drop %s: %v", name, err)
	}
}
