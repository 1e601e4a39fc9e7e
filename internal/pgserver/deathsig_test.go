package pgserver

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPostgresDiesWithLauncher kills a launcher process with SIGKILL (no
// chance to call Stop) and checks that its postgres goes away too.
func TestPostgresDiesWithLauncher(t *testing.T) {
	dir := filepath.Join(tempDir(t), "pg")
	cmd := exec.Command(os.Args[0]) // TestMain runs helperLauncher instead of the tests
	cmd.Env = append(os.Environ(), helperDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var pid int
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "postmaster "); ok {
			pid, _ = strconv.Atoi(p)
			break
		}
	}
	if pid == 0 {
		t.Fatal("helper did not report a postmaster PID")
	}
	if !alive(pid) {
		t.Fatalf("postmaster %d not running", pid)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// The kernel sends SIGINT (fast shutdown): the postmaster and all its
	// children exit on their own. Bounded wait, not a timing assertion.
	deadline := time.Now().Add(30 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(pid) {
		syscall.Kill(pid, syscall.SIGQUIT)
		t.Fatalf("postmaster %d outlived its launcher", pid)
	}
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
