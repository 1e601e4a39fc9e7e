package dbdiff

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/migrations"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// copyMigrations copies the repository's Atlas directory (migrations.FS:
// its .sql files and atlas.sum) into a temporary one.
func copyMigrations(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, migrations.FS); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRunDiffsAndApplies runs the shared flow of cmd/dbdiff and `app db
// diff` on the committed directory: the schema agrees with it, so nothing
// is written, and with ApplyURL every migration is applied to an empty
// database. Deliberate bug it catches (tried): Run returning before the
// apply (no users table).
func TestRunDiffsAndApplies(t *testing.T) {
	dev := dbtest.New(t, dbtest.Empty())
	target := dbtest.New(t, dbtest.Empty())
	dir := copyMigrations(t)
	before, _ := os.ReadDir(dir)
	var out bytes.Buffer
	o := Options{Dir: dir, DevURL: dev.AdminURL, ApplyURL: target.URL, Name: "nothing"}
	if err := Run(context.Background(), &out, o); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "no changes") {
		t.Errorf("output does not say there are no changes:\n%s", out.String())
	}
	if after, _ := os.ReadDir(dir); len(after) != len(before) {
		t.Errorf("the diff wrote files: %d entries before, %d after", len(before), len(after))
	}
	db, err := sql.Open("pgx", target.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var users sql.NullString
	if err := db.QueryRow(`SELECT to_regclass('public.users')::text`).Scan(&users); err != nil || !users.Valid {
		t.Errorf("the migrations were not applied: users table %v, %v", users, err)
	}
}

// TestResolve covers the name and the environment fallbacks.
func TestResolve(t *testing.T) {
	env := map[string]string{EnvDevURL: "postgres://dev", EnvApplyURL: "postgres://apply"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		name      string
		args      []string
		flagDev   string
		wantErr   bool
		wantDev   string
		wantApply string
	}{
		{"env fills both", []string{"add_x"}, "", false, "postgres://dev", "postgres://apply"},
		{"flag wins", []string{"add_x"}, "postgres://flag", false, "postgres://flag", "postgres://apply"},
		{"no name", nil, "", true, "", ""},
		{"two names", []string{"a", "b"}, "", true, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Options{DevURL: tt.flagDev}
			err := o.Resolve(tt.args, lookup)
			if tt.wantErr {
				if !errors.Is(err, ErrUsage) {
					t.Fatalf("Resolve: %v, want ErrUsage", err)
				}
				return
			}
			if err != nil || o.Name != tt.args[0] || o.DevURL != tt.wantDev || o.ApplyURL != tt.wantApply {
				t.Errorf("Resolve: %v, %+v", err, o)
			}
		})
	}
}
