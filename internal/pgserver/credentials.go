package pgserver

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/central/central/internal/sysproc"
)

// Role names a login role the launcher creates.
type Role string

// The roles of a cluster started by this package.
const (
	// RoleSuperuser is the bootstrap superuser; only the launcher and test
	// harnesses should use it.
	RoleSuperuser Role = "postgres"
	// RoleReadWrite owns database "central" and everything migrations create.
	RoleReadWrite Role = "central"
	// RoleReadOnly can read every table (member of pg_read_all_data) and its
	// transactions are read-only by default.
	RoleReadOnly Role = "central_ro"
)

// Database is the application database, owned by RoleReadWrite.
const Database = "central"

// credentials is the content of central-credentials.json.
type credentials struct {
	Passwords map[Role]string `json:"passwords"`
}

func (c credentials) password(r Role) string { return c.Passwords[r] }

func newCredentials() (credentials, error) {
	c := credentials{Passwords: map[Role]string{}}
	for _, r := range []Role{RoleSuperuser, RoleReadWrite, RoleReadOnly} {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return c, fmt.Errorf("generate password for %s: %w", r, err)
		}
		c.Passwords[r] = base64.RawURLEncoding.EncodeToString(b)
	}
	return c, nil
}

// loadCredentials reads the file; ok is false when it does not exist.
func loadCredentials(path string) (c credentials, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("read credentials: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, false, fmt.Errorf("pgserver: %s is not valid JSON (%v); restore it or delete the whole data directory to start over", path, err)
	}
	for _, r := range []Role{RoleSuperuser, RoleReadWrite, RoleReadOnly} {
		if c.Passwords[r] == "" {
			return c, false, fmt.Errorf("pgserver: %s has no password for role %s; restore it or delete the whole data directory to start over", path, r)
		}
	}
	return c, true, nil
}

// saveCredentials writes c to path, private to o.
func saveCredentials(o *sysproc.Owner, path string, c credentials) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode credentials: %w", err)
	}
	return o.WriteFile(path, append(b, '\n'))
}
