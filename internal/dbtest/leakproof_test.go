package dbtest

import (
	"testing"

	"github.com/central/central/internal/tenantctx"
)

// leakproof reports whether jsonb @> is LEAKPROOF in the database of url.
func leakproof(t *testing.T, url string) bool {
	t.Helper()
	conn := connect(t, url)
	defer conn.Close(ctxT(t))
	var b bool
	if err := conn.QueryRow(ctxT(t), tenantctx.LeakproofQuery).Scan(&b); err != nil {
		t.Fatal(err)
	}
	return b
}

// unmark removes the LEAKPROOF mark from database, as on a server set up
// before the project marked it.
func unmark(t *testing.T, h *Harness, database string) {
	t.Helper()
	conn := connect(t, h.AdminURL(database))
	if _, err := conn.Exec(ctxT(t), "ALTER FUNCTION pg_catalog.jsonb_contains(jsonb, jsonb) NOT LEAKPROOF"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctxT(t)) // CREATE DATABASE refuses to copy a template1 in use
}

// TestClonesHaveJsonbContainsLeakproof: every database New hands out has
// jsonb @> LEAKPROOF, on the embedded cluster (project schema and Empty) and
// on an external server whose template1 lacked it: Connect marks template1
// (fails when ensureRoles skips it), and a template made while template1
// lacks it is marked itself (fails when createTemplate skips it).
func TestClonesHaveJsonbContainsLeakproof(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		for _, d := range []*DB{New(t), New(t, Empty())} {
			if !leakproof(t, d.URL) {
				t.Errorf("%s: jsonb_contains is not leakproof", d.Name)
			}
		}
	})
	t.Run("external server without the mark", func(t *testing.T) {
		admin := trustingServer(t)
		pre, err := Connect(ctxT(t), admin)
		if err != nil {
			t.Fatal(err)
		}
		unmark(t, pre, "template1")
		pre.Close(ctxT(t))

		h, err := Connect(ctxT(t), admin)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close(ctxT(t)) })
		if !leakproof(t, h.AdminURL("template1")) {
			t.Error("Connect left template1 without the mark")
		}
		unmark(t, h, "template1")
		calls := 0
		d := h.New(t, WithMigrations(uniqueMigrations(t, h), applySQL(&calls)))
		if !leakproof(t, d.URL) {
			t.Error("a clone of a template made from an unmarked template1 lacks the mark")
		}
	})
}
