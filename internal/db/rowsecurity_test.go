package db_test

import (
	"testing"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/dbtest"
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
