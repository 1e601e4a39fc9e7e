package sysproc_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
