package pgserver

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// requiredBinaries must all sit in one directory for it to count as a bin dir.
var requiredBinaries = []string{"initdb", "postgres"}

// debianGlob is where Debian and Ubuntu install one directory per major version.
const debianGlob = "/usr/lib/postgresql/*/bin"

// FindBinDir locates the directory holding the PostgreSQL server binaries.
// It tries, in order: $PG_BIN (which, when set, must hold them), the
// directories of $PATH (symlinks are followed to the real directory, so
// pg_basebackup beside it is found too), then /usr/lib/postgresql/*/bin,
// highest major version first. getenv is usually os.Getenv.
// The error matches ErrBinariesNotFound and says what to install.
func FindBinDir(getenv func(string) string) (string, error) {
	return findBinDir(getenv, debianGlob)
}

func findBinDir(getenv func(string) string, glob string) (string, error) {
	if dir := getenv("PG_BIN"); dir != "" {
		if err := hasBinaries(dir); err != nil {
			return "", fmt.Errorf("%w: PG_BIN=%s: %v; point PG_BIN at the directory holding initdb and postgres, or unset it", ErrBinariesNotFound, dir, err)
		}
		return filepath.Abs(dir)
	}
	for _, dir := range filepath.SplitList(getenv("PATH")) {
		if dir == "" {
			continue
		}
		initdb, err := filepath.EvalSymlinks(filepath.Join(dir, "initdb"))
		if err != nil {
			continue
		}
		real := filepath.Dir(initdb)
		if hasBinaries(real) == nil {
			return filepath.Abs(real)
		}
	}
	dirs, _ := filepath.Glob(glob) // the pattern is constant and valid
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, dir := range dirs {
		if hasBinaries(dir) == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("%w: looked in $PG_BIN, $PATH and %s; install them (Debian/Ubuntu: apt-get install postgresql) or set PG_BIN to the directory holding initdb and postgres", ErrBinariesNotFound, glob)
}

// versionOf extracts the major version from /usr/lib/postgresql/<v>/bin.
func versionOf(binDir string) float64 {
	v, err := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	if err != nil {
		return -1
	}
	return v
}

func hasBinaries(dir string) error {
	var missing []string
	for _, name := range requiredBinaries {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	return nil
}
