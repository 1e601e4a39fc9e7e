package migrations_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/central/central/ent"
	entmigrate "github.com/central/central/ent/migrate"
	"github.com/central/central/internal/migrate"
	"github.com/central/central/internal/schemadiff"
	"github.com/central/central/migrations"
)

// TestNoDrift fails when ent/schema and migrations/ disagree.
func TestNoDrift(t *testing.T) {
	ctx := context.Background()
	plan, err := schemadiff.Compute(ctx, devURL(t), migrations.FS, entmigrate.Tables, "drift", schemadiff.RowSecurity(ent.Entities()))
	var de *schemadiff.DestructiveError
	switch {
	case errors.As(err, &de):
		t.Fatalf("ent/schema drops what migrations/ creates:\n%v\n\nIf intended, write the migration with:\n\tgo run ./cmd/app db diff --allow-destructive <name>", err)
	case err != nil:
		t.Fatal(err)
	case !plan.Empty():
		var b strings.Builder
		for _, f := range plan.Files {
			fmt.Fprintf(&b, "--- %s\n%s", f.Name, f.Content)
		}
		t.Fatalf("ent/schema and migrations/ disagree; the missing migration is:\n%s\nWrite it with:\n\tgo run ./cmd/app db diff <name>", b.String())
	}
}

// TestApply applies the directory to an empty database; a second run is a
// no-op.
func TestApply(t *testing.T) {
	ctx := context.Background()
	db := emptyDB(t)
	res, err := migrate.Up(ctx, db, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) == 0 {
		t.Fatal("nothing applied to an empty database")
	}
	st, err := migrate.Status(ctx, db, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Pending) != 0 || st.Problem != nil || st.Current != res.Version {
		t.Fatalf("status after apply: %s", st)
	}
	// Enum types exist with the schema's values.
	var labels string
	if err := db.QueryRow(`SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'tenant_status'::regtype`).Scan(&labels); err != nil {
		t.Fatal(err)
	}
	if labels != "active,suspended" {
		t.Fatalf("tenant_status values %q", labels)
	}
}
