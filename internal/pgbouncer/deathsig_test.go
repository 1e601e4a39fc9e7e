package pgbouncer_test

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

	"github.com/central/central/internal/pgbouncer"
)

const helperEnv = "CENTRAL_PGBOUNCER_HELPER"

// TestPgBouncerDiesWithLauncher kills a launcher process with SIGKILL (no
// chance to call Stop) and checks that its pgbouncer goes away too.
func TestPgBouncerDiesWithLauncher(t *testing.T) {
	dir, err := os.MkdirTemp(cluster.dir, "deathsig-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLauncher$")
	cmd.Env = append(os.Environ(), helperEnv+"="+strings.Join([]string{
		filepath.Join(dir, "b"), strconv.Itoa(cluster.srv.Port()), users()["central"]}, "\x1f"))
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
		if p, ok := strings.CutPrefix(sc.Text(), "pgbouncer "); ok {
			pid, _ = strconv.Atoi(p)
			break
		}
	}
	if pid == 0 || syscall.Kill(pid, 0) != nil {
		t.Fatalf("helper did not report a running pgbouncer (PID %d)", pid)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// The kernel sends SIGTERM; bounded wait, not a timing assertion.
	deadline := time.Now().Add(30 * time.Second)
	for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if syscall.Kill(pid, 0) == nil {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("pgbouncer %d outlived its launcher", pid)
	}
}

// TestHelperLauncher is the launcher process of TestPgBouncerDiesWithLauncher.
func TestHelperLauncher(t *testing.T) {
	spec := os.Getenv(helperEnv)
	if spec == "" {
		return // only meaningful as a child of TestPgBouncerDiesWithLauncher
	}
	parts := strings.Split(spec, "\x1f")
	port, _ := strconv.Atoi(parts[1])
	b, err := pgbouncer.Start(context.Background(), pgbouncer.Config{
		DataDir: parts[0], UpstreamPort: port, Users: map[string]string{"central": parts[2]},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("pgbouncer %d\n", b.PID())
	time.Sleep(time.Hour) // until killed
}
