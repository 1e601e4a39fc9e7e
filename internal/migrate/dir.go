package migrate

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"ariga.io/atlas/sql/migrate"
)

// LoadDir copies the Atlas directory at the root of fsys (*.sql and
// atlas.sum) into memory and verifies it against atlas.sum: an added, edited
// or removed file is a *DirError naming it. The directory is read once per
// run, and the package never touches OS paths itself.
func LoadDir(fsys fs.FS) (*migrate.MemDir, error) {
	dir, err := loadDir(fsys)
	if err != nil {
		return nil, err
	}
	if err := validate(dir); err != nil {
		return nil, err
	}
	return dir, nil
}

// loadFrozen is LoadDir for Up and Status: the directory is listed and
// hashed once, and every later Files or Checksum call (atlas's Executor
// hashes the whole directory once per file it applies) reuses the result.
func loadFrozen(fsys fs.FS) (*frozenDir, error) {
	dir, err := loadDir(fsys)
	if err != nil {
		return nil, err
	}
	fd, err := freeze(dir)
	if err != nil {
		return nil, err
	}
	if err := validate(fd); err != nil {
		return nil, err
	}
	return fd, nil
}

// frozenDir is a migration directory that no longer changes, with its file
// list and checksum computed once. Without it, applying n files costs O(n²)
// hashing: atlas's Executor.Execute calls Dir.Checksum, which hashes every
// file, for each file it applies; and the boot check hashed the directory
// two or three times.
type frozenDir struct {
	migrate.Dir
	files []migrate.File
	sum   migrate.HashFile
}

func freeze(dir migrate.Dir) (*frozenDir, error) {
	files, err := dir.Files()
	if err != nil {
		return nil, fmt.Errorf("list migration files: %w", err)
	}
	sum, err := hashFiles(files)
	if err != nil {
		return nil, fmt.Errorf("hash migration directory: %w", err)
	}
	return &frozenDir{Dir: dir, files: files, sum: sum}, nil
}

// hashFiles is atlas's migrate.NewHashFile (the atlas.sum entries: a SHA-256
// chained over every file's name and content), minus its cost on the common
// directory: atlas runs a backtracking regexp over every file to find an
// "atlas:sum" directive, most of the boot check's time at 1,000 files. That
// regexp (^[ -~]*atlas:...) can only match when the file's first line
// contains "atlas:"; when any file's does, atlas computes the sum itself.
func hashFiles(files []migrate.File) (migrate.HashFile, error) {
	for _, f := range files {
		first, _, _ := bytes.Cut(f.Bytes(), []byte("\n"))
		if bytes.Contains(first, []byte("atlas:")) {
			return migrate.NewHashFile(files)
		}
	}
	hs := make(migrate.HashFile, 0, len(files))
	h := sha256.New()
	var buf [sha256.Size]byte
	for _, f := range files {
		h.Write([]byte(f.Name()))
		h.Write(f.Bytes())
		hs = append(hs, struct{ N, H string }{f.Name(), base64.StdEncoding.EncodeToString(h.Sum(buf[:0]))})
	}
	return hs, nil
}

// Files returns the .sql files in version order (a copy of the list).
func (d *frozenDir) Files() ([]migrate.File, error) { return slices.Clone(d.files), nil }

// Checksum returns the directory's hash file, computed once.
func (d *frozenDir) Checksum() (migrate.HashFile, error) { return slices.Clone(d.sum), nil }

// WriteFile refuses: the cached list and checksum would go stale.
func (d *frozenDir) WriteFile(name string, _ []byte) error {
	return fmt.Errorf("migrate: write %s: the loaded migration directory is read-only", name)
}

func loadDir(fsys fs.FS) (*migrate.MemDir, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migration files: %w", err)
	}
	dir := &migrate.MemDir{}
	for _, n := range names {
		if v, _, _ := strings.Cut(strings.TrimSuffix(n, ".sql"), "_"); v == "" {
			return nil, fmt.Errorf("migrate: file %s has no version: name files <version>_<name>.sql", n)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", n, err)
		}
		if err := dir.WriteFile(n, b); err != nil {
			return nil, fmt.Errorf("load migration %s: %w", n, err)
		}
	}
	switch b, err := fs.ReadFile(fsys, migrate.HashFileName); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", migrate.HashFileName, err)
	default:
		if err := dir.WriteFile(migrate.HashFileName, b); err != nil {
			return nil, fmt.Errorf("load %s: %w", migrate.HashFileName, err)
		}
	}
	return dir, nil
}

// validate checks the directory against atlas.sum and names the offending
// file (atlas's ChecksumError carries it but does not print it).
func validate(dir migrate.Dir) error {
	err := migrate.Validate(dir)
	var ce *migrate.ChecksumError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		return &DirError{File: ce.File, Reason: ce.Reason.String(), Err: err}
	case errors.Is(err, migrate.ErrChecksumNotFound):
		return &DirError{Reason: "atlas.sum missing", Err: err}
	case errors.Is(err, migrate.ErrChecksumMismatch), errors.Is(err, migrate.ErrChecksumFormat):
		return &DirError{Reason: "atlas.sum corrupt (edited by hand?)", Err: err}
	default:
		return fmt.Errorf("validate migration directory: %w", err)
	}
}
