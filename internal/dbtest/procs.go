package dbtest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// busy reports whether some process works inside dir (postgres processes
// chdir into their data directory).
func busy(dir string) bool {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return true // cannot tell: keep the directory
	}
	for _, e := range entries {
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err == nil && (cwd == dir || strings.HasPrefix(cwd, dir+"/")) {
			return true
		}
	}
	return false
}
