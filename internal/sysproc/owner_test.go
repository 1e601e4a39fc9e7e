package sysproc_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/central/central/internal/sysproc"
)

// tempDir is a directory other users can traverse (MkdirTemp makes 0700).
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sysproc-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestCheckReachable checks that a directory the owner cannot reach is
// refused with an error naming the blocking directory. It runs for a
// synthetic owner (another uid than ours), so it is tested whether or not
// the tests run as root.
//
// Deliberate bugs it catches: CheckReachable returning nil at once, or
// checking only the owner's uid bit (a mode-0701 parent would then be
// refused), or not naming the parent.
func TestCheckReachable(t *testing.T) {
	other := &sysproc.Owner{Name: "someone-else", UID: os.Geteuid() + 4242, GID: os.Getegid() + 4242}
	tests := []struct {
		name    string
		mode    os.FileMode
		wantErr bool
	}{
		{"private parent", 0o700, true},
		{"group-only parent", 0o750, true},
		{"others may traverse", 0o701, false},
		{"others may read and traverse", 0o755, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := filepath.Join(tempDir(t), "parent")
			if err := os.Mkdir(parent, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(parent, tt.mode); err != nil {
				t.Fatal(err)
			}
			// Every ancestor of parent must itself be traversable for the
			// cases that expect success.
			for p := filepath.Dir(parent); p != filepath.Dir(p); p = filepath.Dir(p) {
				if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o001 == 0 && !tt.wantErr {
					t.Fatalf("test setup: ancestor %s is mode %v, not traversable by others", p, fi.Mode().Perm())
				}
			}
			err := other.CheckReachable(filepath.Join(parent, "pg"))
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "cannot reach") || !strings.Contains(err.Error(), parent+" is mode") {
					t.Fatalf("err = %v, want it to name %s as not traversable", err, parent)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v, want the directory accepted", err)
			}
		})
	}
	t.Run("current user", func(t *testing.T) {
		// A nil owner is ourselves: nothing to check.
		parent := filepath.Join(tempDir(t), "x")
		if err := os.Mkdir(parent, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := (*sysproc.Owner)(nil).CheckReachable(filepath.Join(parent, "pg")); err != nil {
			t.Fatalf("the current user (nil owner) was refused: %v", err)
		}
	})
}

// TestEnv checks that the child's environment drops PG* variables (PGDATA,
// PGPORT... would override what we pass) and keeps extra last.
//
// Deliberate bug it catches: passing os.Environ() through unfiltered.
func TestEnv(t *testing.T) {
	t.Setenv("PGPORT", "1")
	t.Setenv("CENTRAL_SYSPROC_KEEP", "yes")
	env := (*sysproc.Owner)(nil).Env("X=1")
	joined := "\n" + strings.Join(env, "\n") + "\n"
	if strings.Contains(joined, "\nPGPORT=") {
		t.Fatal("PGPORT reached the child's environment")
	}
	if !strings.Contains(joined, "\nCENTRAL_SYSPROC_KEEP=yes\n") || env[len(env)-1] != "X=1" {
		t.Fatalf("env = %v, want ours (without PG*) followed by X=1", env)
	}
	own := &sysproc.Owner{Name: "pg", Home: "/var/lib/pg"}
	env = own.Env()
	joined = "\n" + strings.Join(env, "\n") + "\n"
	if !strings.Contains(joined, "\nHOME=/var/lib/pg\n") || !strings.Contains(joined, "\nUSER=pg\n") || strings.Count(joined, "\nHOME=") != 1 {
		t.Fatalf("env = %v, want the owner's HOME and USER only", env)
	}
}
