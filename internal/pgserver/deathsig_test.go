package pgserver

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/central/central/internal/sysproc/sysproctest"
)

// TestPostgresDiesWithLauncher kills a launcher process with SIGKILL (no
// chance to call Stop) and checks that its postgres goes away too.
func TestPostgresDiesWithLauncher(t *testing.T) {
	dir := filepath.Join(tempDir(t), "pg")
	cmd := exec.Command(os.Args[0]) // TestMain runs helperLauncher instead of the tests
	cmd.Env = append(os.Environ(), helperDirEnv+"="+dir)
	// The kernel sends SIGINT (fast shutdown): the postmaster and all its
	// children exit on their own.
	sysproctest.DiesWithLauncher(t, cmd, "postmaster")
	// The cluster is fine afterwards.
	s := start(t, Config{DataDir: dir, Ephemeral: true})
	if n := queryInt(t, connect(t, s.URL(RoleReadWrite, Database)), "SELECT 1"); n != 1 {
		t.Fatal("restart failed")
	}
}

// helperDirEnv, when set, makes the test binary the launcher process of
// TestPostgresDiesWithLauncher (see TestMain): it starts a cluster there,
// prints its postmaster PID and sleeps until killed. It is not a test, so it
// cannot pass vacuously when run without its parent.
const helperDirEnv = "PGSERVER_HELPER_DIR"

func helperLauncher(dir string) int {
	s, err := Start(context.Background(), Config{DataDir: dir, Ephemeral: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("postmaster %d\n", s.PID())
	time.Sleep(time.Hour) // until killed
	return 1
}
