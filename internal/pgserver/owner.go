package pgserver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// owner is the OS account that runs initdb, postgres and pg_basebackup and owns
// the data directory. A nil *owner means "the current user" (not root).
type owner struct {
	name     string
	uid, gid int
	home     string
}

// currentOwner returns the postgres system account when running as root
// (postgres refuses to run as root), and nil otherwise.
func currentOwner() (*owner, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("look up the postgres system user (needed because postgres refuses to run as root; apt-get install postgresql creates it): %w", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, fmt.Errorf("parse uid of postgres user %q: %w", u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, fmt.Errorf("parse gid of postgres user %q: %w", u.Gid, err)
	}
	return &owner{name: u.Username, uid: uid, gid: gid, home: u.HomeDir}, nil
}

// sysProcAttr puts the child in its own process group (so Ctrl-C on the
// terminal reaches only our process, which then stops postgres in order),
// asks the kernel to send sig to it when we die, and drops to the owner.
func (o *owner) sysProcAttr(sig syscall.Signal) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: sig}
	if o != nil {
		a.Credential = &syscall.Credential{Uid: uint32(o.uid), Gid: uint32(o.gid), Groups: []uint32{}}
	}
	return a
}

// chown gives path to the owner; a no-op when not root.
func (o *owner) chown(path string) error {
	if o == nil {
		return nil
	}
	if err := os.Lchown(path, o.uid, o.gid); err != nil {
		return fmt.Errorf("chown %s to %s: %w", path, o.name, err)
	}
	return nil
}

// chownTree gives the whole tree under root to the owner unless root already
// belongs to it.
func (o *owner) chownTree(root string) error {
	if o == nil {
		return nil
	}
	fi, err := os.Stat(root)
	if err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) == o.uid {
		return nil
	}
	return filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return o.chown(path)
	})
}

// mkdir creates dir (and missing parents, mode 0755) and makes dir itself
// mode 0700 and owned by the owner.
func (o *owner) mkdir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("create parent of %s: %w", dir, err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("chmod %s: %w", dir, err)
	}
	return o.chownTree(dir)
}

// checkReachable verifies that the owner can traverse every ancestor of dir.
// A root-created 0700 temp dir above the data directory would otherwise make
// postgres fail with a confusing "permission denied".
func (o *owner) checkReachable(dir string) error {
	if o == nil {
		return nil
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("stat %s: %w", p, err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if ok {
			perm := fi.Mode().Perm()
			can := perm&0o001 != 0 ||
				(int(st.Uid) == o.uid && perm&0o100 != 0) ||
				(int(st.Gid) == o.gid && perm&0o010 != 0)
			if !can {
				return fmt.Errorf("pgserver: the %s user cannot reach data directory %s because %s is mode %v: choose a data directory under a path other users can traverse, or chmod o+x %s", o.name, dir, p, perm, p)
			}
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// writeFile writes a private (0600) file owned by the owner.
func (o *owner) writeFile(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	return o.chown(path)
}

// env is the environment for child processes: ours without PG* variables
// (PGDATA, PGPORT... would override what we pass), plus extra.
func (o *owner) env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if len(kv) >= 2 && kv[:2] == "PG" {
			continue
		}
		if o != nil && (len(kv) > 5 && (kv[:5] == "HOME=" || kv[:5] == "USER=")) {
			continue
		}
		env = append(env, kv)
	}
	if o != nil {
		env = append(env, "HOME="+o.home, "USER="+o.name)
	}
	return append(env, extra...)
}
