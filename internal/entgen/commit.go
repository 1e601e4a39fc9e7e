package entgen

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// change is one file of a generation's commit: the staged file renamed
// onto target, or, with staged empty, target removed (a stale generated
// file).
type change struct {
	staged, target string
}

// planSync lists the changes that make the generated files under dst equal
// to those under src: new and changed files are moved into place (an
// unchanged file is left alone, so its mtime and the build cache stay), and
// files under dst that carry the generated header but are absent from src
// are removed. Hand-written files (ent/schema, entc.go, tests) never carry
// the header and are never touched. Nothing is changed yet.
func planSync(src, dst string) ([]change, error) {
	var changes []change
	want := map[string]bool{}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		want[rel] = true
		c, err := changed(p, filepath.Join(dst, rel))
		if err != nil || !c {
			return err
		}
		changes = append(changes, change{staged: p, target: filepath.Join(dst, rel)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dst, p)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || rel == "schema") {
				return filepath.SkipDir
			}
			return nil
		}
		if want[rel] || !strings.HasSuffix(p, ".go") {
			return nil
		}
		if gen, err := isGenerated(p); err != nil || !gen {
			return err
		}
		changes = append(changes, change{target: p})
		return nil
	})
	return changes, err
}

// changed reports whether the file at target differs from the one at
// staged (or does not exist).
func changed(staged, target string) (bool, error) {
	old, err := os.ReadFile(target)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	cur, err := os.ReadFile(staged)
	if err != nil {
		return false, err
	}
	return !bytes.Equal(old, cur), nil
}

// commit applies changes all or nothing: each replaced or removed file is
// first renamed into backupDir, then the staged file is renamed onto its
// target. If any step fails, the steps done are undone in reverse order
// (backups renamed back, new files and directories removed) and the tree
// is as it was. Every path must be on the file system of backupDir, so
// each step is a rename. Directories emptied by removals are removed at
// the end. before, when not nil, runs before step i and can fail it: the
// tests inject failures with it.
func commit(changes []change, backupDir string, before func(i int) error) (err error) {
	type done struct {
		change
		backup  string   // where the old target went; "" if there was none
		newDirs []string // directories created for target, deepest last
	}
	var log []done
	defer func() {
		if err == nil {
			return
		}
		for i := len(log) - 1; i >= 0; i-- {
			d := log[i]
			var rerr error
			if d.staged != "" {
				rerr = os.Remove(d.target)
			}
			if d.backup != "" {
				rerr = errors.Join(rerr, os.Rename(d.backup, d.target))
			}
			for j := len(d.newDirs) - 1; j >= 0; j-- {
				rerr = errors.Join(rerr, os.Remove(d.newDirs[j]))
			}
			if rerr != nil {
				err = fmt.Errorf("%w; and undoing it failed, the tree may be half-updated: %w", err, rerr)
			}
		}
	}()
	for i, c := range changes {
		if before != nil {
			if err := before(i); err != nil {
				return err
			}
		}
		d := done{change: c}
		dirs, err := mkdirs(filepath.Dir(c.target))
		d.newDirs = dirs
		if err != nil {
			log = append(log, d)
			return err
		}
		if _, err := os.Lstat(c.target); err == nil {
			d.backup = filepath.Join(backupDir, fmt.Sprintf("%d.bak", i))
			if err := os.Rename(c.target, d.backup); err != nil {
				d.backup = ""
				log = append(log, d)
				return fmt.Errorf("move %s aside: %w", c.target, err)
			}
		}
		if c.staged == "" {
			log = append(log, d)
			continue
		}
		if err := os.Rename(c.staged, c.target); err != nil {
			d.staged = "" // nothing to remove on undo
			log = append(log, d)
			return fmt.Errorf("move %s into place: %w", c.target, err)
		}
		log = append(log, d)
	}
	// Committed. Remove the directories that removals emptied (one that is
	// not empty fails with ENOTEMPTY and stays).
	var removed []string
	for _, c := range changes {
		if c.staged == "" {
			removed = append(removed, filepath.Dir(c.target))
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(removed)))
	for _, dir := range removed {
		// Best effort: the commit stands, and an empty directory left
		// behind holds no Go file.
		_ = os.Remove(dir)
	}
	return nil
}

// mkdirs creates dir and its missing parents, and returns those it
// created, outermost first.
func mkdirs(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append([]string{d}, missing...)
		if filepath.Dir(d) == d {
			break
		}
	}
	for i, d := range missing {
		if err := os.Mkdir(d, 0o755); err != nil {
			return missing[:i], err
		}
	}
	return missing, nil
}

// syncGenerated makes the generated files under dst equal to those under
// src in one commit (see planSync and commit); backupDir must be on dst's
// file system.
func syncGenerated(src, dst, backupDir string) error {
	changes, err := planSync(src, dst)
	if err != nil {
		return err
	}
	return commit(changes, backupDir, nil)
}

func isGenerated(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	head := make([]byte, 256)
	n, _ := f.Read(head)
	return bytes.HasPrefix(head[:n], generatedHeader), nil
}
