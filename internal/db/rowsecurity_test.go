package db_test

import (
	"strings"
	"testing"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/tenantctx"
)

// TestWarnsWhenRoleBypassesRowSecurity: the app's roles (central,
// central_ro) are subject to row-level security and Start says nothing; a
// pool connected as the superuser gets a warning naming the pool.
func TestWarnsWhenRoleBypassesRowSecurity(t *testing.T) {
	tests := []struct {
		name      string
		superuser bool
		wantWarn  int
	}{
		{"app roles", false, 0},
		{"superuser on the read-write side", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tdb := dbtest.New(t)
			pg := pgConfig(tdb)
			if tt.superuser {
				pg.ReadWrite.URL = config.Secret(tdb.AdminURL)
			}
			_, l := openOn(t, pg)
			if n := l.FilterMessageSnippet("bypasses row-level security").Len(); n != tt.wantWarn {
				t.Errorf("%d warnings, want %d", n, tt.wantWarn)
			}
		})
	}
}

// TestWarnsWhenJsonbContainsNotLeakproof: on a database where jsonb @> is
// LEAKPROOF (every dbtest clone, like the embedded server's database) Start
// says nothing; where a superuser removed the mark (an external database
// set up without the README's step), Start warns once, naming the exact
// statement to run.
func TestWarnsWhenJsonbContainsNotLeakproof(t *testing.T) {
	tests := []struct {
		name      string
		leakproof bool
		wantWarn  int
	}{
		{"leakproof", true, 0},
		{"not leakproof", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tdb := dbtest.New(t)
			if !tt.leakproof {
				if _, err := tdb.OpenAdminDB(t).ExecContext(ctxT(t), "ALTER FUNCTION pg_catalog.jsonb_contains(jsonb, jsonb) NOT LEAKPROOF"); err != nil {
					t.Fatal(err)
				}
			}
			_, l := openOn(t, pgConfig(tdb))
			warns := l.FilterMessageSnippet("jsonb_contains) is not LEAKPROOF")
			if n := warns.Len(); n != tt.wantWarn {
				t.Fatalf("%d warnings, want %d", n, tt.wantWarn)
			}
			for _, e := range warns.All() {
				if !strings.Contains(e.Message, tenantctx.LeakproofSQL) {
					t.Errorf("warning does not name the statement %q: %s", tenantctx.LeakproofSQL, e.Message)
				}
			}
		})
	}
}
