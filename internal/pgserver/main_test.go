package pgserver

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperDirEnv); dir != "" {
		os.Exit(helperLauncher(dir))
	}
	os.Exit(m.Run())
}
