package migrate

import (
	"fmt"
	"strings"

	"ariga.io/atlas/sql/migrate"
)

// analysis compares a validated directory with the revisions in a database.
type analysis struct {
	files      []migrate.File
	applied    []*migrate.Revision // revisions whose file is in the directory
	unknown    []*migrate.Revision // revisions whose version is not in the directory
	changed    []*ChangedError     // fully applied files whose content changed
	outOfOrder []migrate.File      // unapplied files sorting before the latest revision
	pending    []migrate.File      // files still to apply (or to finish)
	last       string              // latest revision version
}

// analyze is the lock-free check run on every boot: it reads nothing but the
// directory (already in memory) and the revisions passed in.
func analyze(dir migrate.Dir, revs []*migrate.Revision) (*analysis, error) {
	files, err := dir.Files()
	if err != nil {
		return nil, fmt.Errorf("list migration files: %w", err)
	}
	sum, err := dir.Checksum()
	if err != nil {
		return nil, fmt.Errorf("hash migration directory: %w", err)
	}
	// One map, not HashFile.SumByName per revision: that scans the whole
	// hash file each time, O(n²) at boot with n applied migrations.
	sums := make(map[string]string, len(sum))
	for _, e := range sum {
		sums[e.N] = e.H
	}
	a := &analysis{files: files}
	byVersion := make(map[string]migrate.File, len(files))
	for _, f := range files {
		byVersion[f.Version()] = f
	}
	revByVersion := make(map[string]*migrate.Revision, len(revs))
	for _, r := range revs {
		revByVersion[r.Version] = r
		f, ok := byVersion[r.Version]
		if !ok {
			a.unknown = append(a.unknown, r)
			continue
		}
		a.applied = append(a.applied, r)
		// Atlas stores the file's atlas.sum entry as the revision hash. That
		// entry chains all earlier files, so the first mismatch is the
		// edited file. Partially applied files (txmode none) may be fixed
		// past their applied statements: atlas checks those per statement.
		if r.Hash == "" || r.Applied < r.Total || !r.Type.Has(migrate.RevisionTypeExecute) {
			continue
		}
		if h, ok := sums[f.Name()]; ok && h != strings.TrimPrefix(r.Hash, "h1:") {
			a.changed = append(a.changed, &ChangedError{File: f.Name(), Version: r.Version})
		}
	}
	if len(revs) == 0 {
		a.pending = files
		return a, nil
	}
	first, last := revs[0].Version, revs[len(revs)-1].Version
	a.last = last
	for _, f := range files {
		r, ok := revByVersion[f.Version()]
		switch {
		case ok && r.Applied >= r.Total:
		case ok:
			a.pending = append(a.pending, f) // partially applied: continue it
		case f.Version() > last:
			a.pending = append(a.pending, f)
		case f.Version() > first: // files before a baseline are skipped, as atlas does
			a.outOfOrder = append(a.outOfOrder, f)
		}
	}
	return a, nil
}

// err reports the first problem that forbids applying anything.
func (a *analysis) err() error {
	if len(a.unknown) > 0 {
		vs := make([]string, len(a.unknown))
		for i, r := range a.unknown {
			vs[i] = r.Version + "_" + r.Description
		}
		return fmt.Errorf("%w: it has applied %s, which this binary's migrations do not contain; deploy a binary built with those migrations (or restore the removed files)",
			ErrDatabaseNewer, strings.Join(vs, ", "))
	}
	if len(a.outOfOrder) > 0 {
		names := make([]string, len(a.outOfOrder))
		for i, f := range a.outOfOrder {
			names[i] = f.Name()
		}
		return fmt.Errorf("%w: %s sorts before the latest applied version %s; give it a version after that one (regenerate it with the diff command)",
			ErrOutOfOrder, strings.Join(names, ", "), a.last)
	}
	if len(a.changed) > 0 {
		return a.changed[0]
	}
	return nil
}

// currentVersion is the latest applied version, or "".
func currentVersion(revs []*migrate.Revision) string {
	for i := len(revs) - 1; i >= 0; i-- {
		if revs[i].Applied >= revs[i].Total {
			return revs[i].Version
		}
	}
	return ""
}
