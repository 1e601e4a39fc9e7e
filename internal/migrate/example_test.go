package migrate_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing/fstest"
	"time"

	"github.com/central/central/internal/migrate"
)

// Up refuses a directory that does not match atlas.sum before it touches
// the database, naming the file.
func ExampleUp_tamperedDirectory() {
	db, _ := sql.Open("pgx", "postgres://nowhere.invalid/db") // never reached
	dir := fstest.MapFS{
		// atlas.sum was written for "CREATE TABLE t (id int);\n".
		"20260101000001_init.sql": {Data: []byte("CREATE TABLE t (id bigint);\n")},
		"atlas.sum":               {Data: []byte("h1:+SR6ZLh2sQ+0UI2R49iJ0c9K1DtqLiSndMuejqOoK2I=\n20260101000001_init.sql h1:Tl/uqx3ZPYTNxBkCg/AsrrqkQwv3+QEoQy49oOcsmwk=\n")},
	}
	_, err := migrate.Up(context.Background(), db, dir)
	var de *migrate.DirError
	if errors.As(err, &de) {
		fmt.Println(de.File, de.Reason)
	}
	// Output: 20260101000001_init.sql edited
}

// Report.String is what `app db status` prints.
func ExampleReport_String() {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	r := &migrate.Report{
		Current: "20260101000001",
		Applied: []migrate.Revision{{Version: "20260101000001", Description: "init", Type: "applied",
			AppliedAt: at, Duration: 42 * time.Millisecond, Statements: 3, Total: 3}},
		Pending: []migrate.File{{Name: "20260102000000_add_email.sql", Version: "20260102000000", Description: "add_email"}},
	}
	fmt.Print(r)
	// Output:
	// current version: 20260101000001
	//   20260101000001_init  applied  2026-01-01T12:00:00Z  42ms
	//   20260102000000_add_email.sql  pending
}

// WouldRun is what `app db migrate --dry-run` prints: SQL files and Go
// steps in the order Up runs them, each step right after its version.
func ExampleReport_WouldRun() {
	r := &migrate.Report{
		Pending: []migrate.File{
			{Name: "20260102000000_add_locale.sql", Version: "20260102000000"},
			{Name: "20260103000000_drop_old.sql", Version: "20260103000000"},
		},
		GoSteps: []migrate.GoStepStatus{
			{Version: "20260101000000", Name: "fix_names", State: "in progress", Batches: 2, Cursor: "42"},
			{Version: "20260102000000", Name: "backfill_locale", State: "pending"},
		},
	}
	for _, line := range r.WouldRun() {
		fmt.Println(line)
	}
	// Output:
	// go step 20260101000000_fix_names (resume after 2 batch(es), cursor "42")
	// 20260102000000_add_locale.sql
	// go step 20260102000000_backfill_locale
	// 20260103000000_drop_old.sql
}
