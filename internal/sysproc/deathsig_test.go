package sysproc_test

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/central/central/internal/sysproc"
	"github.com/central/central/internal/sysproc/sysproctest"
)

// helperEnv, when set, makes the test binary a launcher (see TestMain): it
// starts `sleep` the way pgserver and pgbouncer start their servers, prints
// its PID and waits to be killed. It is not a test, so it cannot pass
// vacuously when run without its parent.
const helperEnv = "CENTRAL_SYSPROC_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperLauncher())
	}
	os.Exit(m.Run())
}

func helperLauncher() int {
	own, err := sysproc.CurrentOwner()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cmd := exec.Command("sleep", "3600")
	cmd.Env = own.Env()
	cmd.SysProcAttr = own.SysProcAttr(syscall.SIGTERM)
	p, err := sysproc.Start(cmd)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("child %d\n", p.PID())
	time.Sleep(time.Hour) // until killed
	return 1
}

// TestChildDiesWithLauncher kills a launcher with SIGKILL and checks that
// the child it started through SysProcAttr goes away too.
//
// Deliberate bug it catches: SysProcAttr without Pdeathsig (sleep would
// outlive the launcher by an hour).
func TestChildDiesWithLauncher(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	sysproctest.DiesWithLauncher(t, cmd, "child")
}
