package schemadiff

import (
	"errors"
	"fmt"
	"io/fs"

	"ariga.io/atlas/sql/migrate"
)

// loadDir reads the Atlas directory at the root of fsys into memory and
// verifies it against atlas.sum.
func loadDir(fsys fs.FS) (*migrate.MemDir, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migration files: %w", err)
	}
	dir := &migrate.MemDir{}
	for _, n := range append(names, migrate.HashFileName) {
		b, err := fs.ReadFile(fsys, n)
		if n == migrate.HashFileName && errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", n, err)
		}
		if err := dir.WriteFile(n, b); err != nil {
			return nil, fmt.Errorf("load %s: %w", n, err)
		}
	}
	var ce *migrate.ChecksumError
	switch err := migrate.Validate(dir); {
	case err == nil:
		return dir, nil
	case errors.As(err, &ce):
		return nil, fmt.Errorf("schemadiff: migration directory does not match atlas.sum: %s was %s: fix that first (restore it, or rehash if it was never applied): %w", ce.File, ce.Reason, err)
	default:
		return nil, fmt.Errorf("schemadiff: verify atlas.sum: %w", err)
	}
}
