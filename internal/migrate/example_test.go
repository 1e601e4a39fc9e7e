package migrate_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing/fstest"

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
