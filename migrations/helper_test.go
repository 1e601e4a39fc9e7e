package migrations_test

import (
	"database/sql"
	"testing"

	"github.com/central/central/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// devURL is a superuser URL on the test server, where the diff creates its
// scratch databases.
func devURL(t *testing.T) string { return dbtest.New(t, dbtest.Empty()).AdminURL }

// emptyDB is a fresh database without migrations.
func emptyDB(t *testing.T) *sql.DB { return dbtest.New(t, dbtest.Empty()).OpenDB(t) }
