package sysproc_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/central/central/internal/sysproc"
)

// TestTail checks that Tail returns the last lines of a log, including one
// larger than the window it reads.
//
// Deliberate bug it catches: reading the log's first MiB instead of its
// last, which shows stale lines for a long-running child's failure.
func TestTail(t *testing.T) {
	big := strings.Repeat(strings.Repeat("x", 99)+"\n", 20000) + "second to last\nlast\n" // ~2 MB
	tests := []struct {
		name, content string
		n             int
		want          string
	}{
		{"short", "a\nb\nc\n", 2, "b\nc"},
		{"fewer lines than n", "a\n", 5, "a"},
		{"larger than the window", big, 2, "second to last\nlast"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "log")
			if err := os.WriteFile(p, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if got := sysproc.Tail(p, tt.n); got != tt.want {
				t.Errorf("Tail(%d) = %.80q, want %q", tt.n, got, tt.want)
			}
		})
	}
	if got := sysproc.Tail(filepath.Join(t.TempDir(), "missing"), 1); !strings.Contains(got, "cannot read log") {
		t.Errorf("Tail of a missing file = %q", got)
	}
}

// TestWaitReady checks each way WaitReady ends: try reports ready, try
// reports a fatal error, the process exits first, ctx ends first (naming
// the last attempt's error).
//
// Deliberate bug it catches: dropping the `case <-p.done` branch, so a
// child that died during startup is waited for until ctx ends (the
// "exited" case fails after 10 s).
func TestWaitReady(t *testing.T) {
	fatal := errors.New("bad password")
	tests := []struct {
		name    string
		argv    []string
		timeout time.Duration
		try     func(n int) (bool, error)
		want    string // "" means a nil error
	}{
		{"ready on the third try", []string{"sleep", "10"}, 10 * time.Second, func(n int) (bool, error) {
			if n < 3 {
				return false, errors.New("refused")
			}
			return true, nil
		}, ""},
		{"fatal", []string{"sleep", "10"}, 10 * time.Second, func(int) (bool, error) { return true, fatal }, "bad password"},
		{"exited", []string{"true"}, 10 * time.Second, func(int) (bool, error) { return false, errors.New("refused") }, "child exited during startup"},
		{"timeout", []string{"sleep", "10"}, 50 * time.Millisecond, func(int) (bool, error) { return false, errors.New("refused") }, "child not ready: context deadline exceeded (last error: refused)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := sysproc.Start(exec.Command(tt.argv[0], tt.argv[1:]...))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = p.Stop(context.Background(), syscall.SIGKILL, syscall.SIGKILL, time.Second) })
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			n := 0
			err = p.WaitReady(ctx, "child", time.Millisecond, func(context.Context) (bool, error) {
				n++
				return tt.try(n)
			})
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("WaitReady: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("WaitReady = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
