package pgbouncer_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/central/central/internal/pgbouncer"
	"github.com/central/central/internal/sysproc/sysproctest"
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
	// The kernel sends SIGTERM (pgbouncer's immediate shutdown).
	sysproctest.DiesWithLauncher(t, cmd, "pgbouncer")
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
