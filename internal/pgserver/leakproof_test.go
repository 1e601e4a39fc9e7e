package pgserver

import (
	"testing"

	"github.com/central/central/internal/tenantctx"
)

// leakproof reports whether jsonb @> is marked LEAKPROOF in database.
func leakproof(t *testing.T, s *Server, database string) bool {
	t.Helper()
	conn := connect(t, s.URL(RoleSuperuser, database))
	defer conn.Close(ctxT(t))
	var b bool
	if err := conn.QueryRow(ctxT(t), tenantctx.LeakproofQuery).Scan(&b); err != nil {
		t.Fatalf("%s in %s: %v", tenantctx.LeakproofQuery, database, err)
	}
	return b
}

// TestMarksJsonbContainsLeakproof: a new cluster has jsonb @> LEAKPROOF in
// template1, in the app database and in a database created afterwards (born
// from template1); a cluster made before the step existed (the mark
// removed) gets it back in both at its next start. Removing the bootstrap
// step, or applying it only to the app database, fails it.
func TestMarksJsonbContainsLeakproof(t *testing.T) {
	dir := tempDir(t) + "/pg"
	s := start(t, Config{DataDir: dir, Ephemeral: true})
	rw := connect(t, s.URL(RoleReadWrite, Database))
	mustExec(t, rw, "CREATE DATABASE later")
	rw.Close(ctxT(t))
	for _, db := range []string{"template1", Database, "later"} {
		if !leakproof(t, s, db) {
			t.Errorf("new cluster: jsonb_contains is not leakproof in %s", db)
		}
	}

	// An earlier version's cluster: no mark anywhere.
	for _, db := range []string{"template1", Database} {
		conn := connect(t, s.URL(RoleSuperuser, db))
		mustExec(t, conn, "ALTER FUNCTION pg_catalog.jsonb_contains(jsonb, jsonb) NOT LEAKPROOF")
		conn.Close(ctxT(t))
		if leakproof(t, s, db) {
			t.Fatalf("NOT LEAKPROOF did not take in %s", db)
		}
	}
	if err := s.Stop(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	s2 := start(t, Config{DataDir: dir, Ephemeral: true})
	for _, db := range []string{"template1", Database} {
		if !leakproof(t, s2, db) {
			t.Errorf("restarted cluster: jsonb_contains is not leakproof in %s", db)
		}
	}
}
