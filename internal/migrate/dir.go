package migrate

import (
	"errors"
	"fmt"
	"io/fs"
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
