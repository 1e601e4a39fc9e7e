package sysproctest

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// DiesWithLauncher starts launcher (usually the test binary re-run as a
// helper), reads the line "<label> <pid>" it prints once its child runs,
// kills the launcher with SIGKILL (no chance to clean up) and fails t unless
// the child exits within 30 s. The wait is a bound, not a timing assertion.
// It returns the child's PID.
func DiesWithLauncher(t testing.TB, launcher *exec.Cmd, label string) int {
	t.Helper()
	if launcher.Stderr == nil {
		launcher.Stderr = os.Stderr
	}
	out, err := launcher.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := launcher.Start(); err != nil {
		t.Fatal(err)
	}
	defer launcher.Process.Kill()
	var pid int
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), label+" "); ok {
			pid, _ = strconv.Atoi(p)
			break
		}
	}
	if pid == 0 || !Alive(pid) {
		t.Fatalf("launcher did not report a running %s (PID %d)", label, pid)
	}
	if err := launcher.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = launcher.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for Alive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if Alive(pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("%s %d outlived its launcher", label, pid)
	}
	return pid
}

// Alive reports whether a process with this PID exists (EPERM: it exists but
// belongs to another user).
func Alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
