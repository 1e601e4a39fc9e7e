package pgserver

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindBinDir(t *testing.T) {
	root := t.TempDir()
	mkBin := func(dir string, names ...string) string {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	empty := mkBin(filepath.Join(root, "empty"))
	full := mkBin(filepath.Join(root, "full"), "initdb", "postgres")
	half := mkBin(filepath.Join(root, "half"), "initdb")
	// A PATH directory with symlinks into the real bin dir (like
	// /usr/local/bin here): the real directory is returned.
	links := mkBin(filepath.Join(root, "links"))
	if err := os.Symlink(filepath.Join(full, "initdb"), filepath.Join(links, "initdb")); err != nil {
		t.Fatal(err)
	}
	versions := filepath.Join(root, "lib")
	mkBin(filepath.Join(versions, "9.6", "bin"), "initdb", "postgres")
	v16 := mkBin(filepath.Join(versions, "16", "bin"), "initdb", "postgres")
	mkBin(filepath.Join(versions, "15", "bin"), "initdb", "postgres")
	mkBin(filepath.Join(versions, "17", "bin"), "initdb") // incomplete: skipped
	glob := filepath.Join(versions, "*", "bin")
	noGlob := filepath.Join(root, "nothing", "*", "bin")

	tests := []struct {
		name    string
		env     map[string]string
		glob    string
		want    string
		wantErr string
	}{
		{"PG_BIN wins", map[string]string{"PG_BIN": full, "PATH": half}, glob, full, ""},
		{"PG_BIN without binaries is an error, not a fallback", map[string]string{"PG_BIN": empty}, glob, "", "PG_BIN=" + empty},
		{"PATH follows symlinks", map[string]string{"PATH": empty + ":" + links}, glob, full, ""},
		{"PATH entry lacking postgres is skipped", map[string]string{"PATH": half}, glob, v16, ""},
		{"highest complete version", map[string]string{"PATH": empty}, glob, v16, ""},
		{"nothing anywhere", map[string]string{"PATH": empty}, noGlob, "", "apt-get install postgresql"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findBinDir(func(k string) string { return tt.env[k] }, tt.glob)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrBinariesNotFound) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrBinariesNotFound mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("findBinDir = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestFindBinDirOnThisMachine(t *testing.T) {
	dir, err := FindBinDir(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if err := hasBinaries(dir); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
}
