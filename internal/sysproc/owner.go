package sysproc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Owner is the OS account that runs a child process and owns its files. A
// nil *Owner means "the current user" (not root); every method accepts it.
type Owner struct {
	Name     string
	UID, GID int
	Home     string
}

// CurrentOwner returns the postgres system account when running as root
// (postgres and pgbouncer refuse to run as root), and nil otherwise.
func CurrentOwner() (*Owner, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("look up the postgres system user (needed because postgres and pgbouncer refuse to run as root; apt-get install postgresql creates it): %w", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, fmt.Errorf("parse uid of postgres user %q: %w", u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, fmt.Errorf("parse gid of postgres user %q: %w", u.Gid, err)
	}
	return &Owner{Name: u.Username, UID: uid, GID: gid, Home: u.HomeDir}, nil
}

// SysProcAttr puts the child in its own process group (so Ctrl-C on the
// terminal reaches only our process, which then stops the child in order),
// asks the kernel to send sig to it when we die, and drops to the owner.
func (o *Owner) SysProcAttr(sig syscall.Signal) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: sig}
	if o != nil {
		a.Credential = &syscall.Credential{Uid: uint32(o.UID), Gid: uint32(o.GID), Groups: []uint32{}}
	}
	return a
}

// Chown gives path to the owner; a no-op for the current user.
func (o *Owner) Chown(path string) error {
	if o == nil {
		return nil
	}
	if err := os.Lchown(path, o.UID, o.GID); err != nil {
		return fmt.Errorf("chown %s to %s: %w", path, o.Name, err)
	}
	return nil
}

// ChownTree gives the whole tree under root to the owner unless root already
// belongs to it.
func (o *Owner) ChownTree(root string) error {
	if o == nil {
		return nil
	}
	fi, err := os.Stat(root)
	if err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) == o.UID {
		return nil
	}
	return filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return o.Chown(path)
	})
}

// Mkdir creates dir (and missing parents, mode 0755, so that the owner can
// traverse them) and makes dir itself mode 0700 and owned, with everything
// in it, by the owner.
func (o *Owner) Mkdir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("create parent of %s: %w", dir, err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("chmod %s: %w", dir, err)
	}
	return o.ChownTree(dir)
}

// CheckReachable verifies that the owner can traverse every ancestor of dir.
// A root-created 0700 temp dir above a data directory would otherwise make
// the child fail with a confusing "permission denied".
func (o *Owner) CheckReachable(dir string) error {
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
				(int(st.Uid) == o.UID && perm&0o100 != 0) ||
				(int(st.Gid) == o.GID && perm&0o010 != 0)
			if !can {
				return fmt.Errorf("the %s user cannot reach data directory %s because %s is mode %v: choose a data directory under a path other users can traverse, or chmod o+x %s", o.Name, dir, p, perm, p)
			}
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// WriteFile writes a private (0600) file owned by the owner.
func (o *Owner) WriteFile(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	return o.Chown(path)
}

// Env is the environment for child processes: ours without PG* variables
// (PGDATA, PGPORT... would override what we pass), with the owner's HOME and
// USER when dropping privileges, plus extra.
func (o *Owner) Env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || (o != nil && (strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "USER="))) {
			continue
		}
		env = append(env, kv)
	}
	if o != nil {
		env = append(env, "HOME="+o.Home, "USER="+o.Name)
	}
	return append(env, extra...)
}
