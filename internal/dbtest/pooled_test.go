package dbtest

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestPooledReachesTheTestDatabase(t *testing.T) {
	t.Parallel()
	p := NewPooled(t, Empty())
	ctx := ctxT(t)
	conn := connect(t, p.PooledURL)
	var name, user string
	if err := conn.QueryRow(ctx, "SELECT current_database(), current_user").Scan(&name, &user); err != nil {
		t.Fatal(err)
	}
	if name != p.Name || user != roleReadWrite {
		t.Fatalf("through PgBouncer: database %s as %s, want %s as %s", name, user, p.Name, roleReadWrite)
	}
	if !strings.Contains(p.PooledURL, ":"+itoa(p.Bouncer.Port())+"/") || strings.Contains(p.URL, ":"+itoa(p.Bouncer.Port())+"/") {
		t.Fatalf("PooledURL must reach PgBouncer and URL PostgreSQL directly")
	}
	// The role-level default (ALTER ROLE ... SET) reaches the server
	// sessions PgBouncer opens for central_ro: no startup parameter needed.
	ro := connect(t, p.PooledReadOnlyURL)
	_, err := ro.Exec(ctx, "CREATE TABLE nope (x int)")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
		t.Fatalf("write through the pooled read-only URL: %v, want 25006 read_only_sql_transaction", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestSessionStateSeesLeaks breaks isolation on purpose, once per kind of
// session state, and checks that SessionState reports it; the clean cases
// must report nothing.
func TestSessionStateSeesLeaks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mode pgx.QueryExecMode
		sql  []string
		want string // "" means nothing may be found
	}{
		{"clean", pgx.QueryExecModeSimpleProtocol, []string{"SELECT 1"}, ""},
		{"SET LOCAL in a transaction", pgx.QueryExecModeSimpleProtocol, []string{"BEGIN", "SET LOCAL statement_timeout = 1234", "COMMIT"}, ""},
		{"tracked parameter", pgx.QueryExecModeSimpleProtocol, []string{"SET application_name = 'x'"}, ""},
		{"SET without LOCAL", pgx.QueryExecModeSimpleProtocol, []string{"SET statement_timeout = 1234"}, "setting statement_timeout = 1234"},
		{"PREPARE", pgx.QueryExecModeSimpleProtocol, []string{"PREPARE leak AS SELECT 1"}, "prepared statement leak"},
		{"pgx statement cache", pgx.QueryExecModeCacheStatement, []string{"SELECT $1::int"}, "prepared statement stmtcache_"},
		{"advisory lock", pgx.QueryExecModeSimpleProtocol, []string{"SELECT pg_advisory_lock(42)"}, "advisory lock 0/42"},
		{"LISTEN", pgx.QueryExecModeSimpleProtocol, []string{"LISTEN leak"}, "LISTEN leak"},
		{"temporary table", pgx.QueryExecModeSimpleProtocol, []string{"CREATE TEMP TABLE leak (x int)"}, "temporary table leak"},
		{"WITH HOLD cursor", pgx.QueryExecModeSimpleProtocol, []string{"BEGIN", "DECLARE leak CURSOR WITH HOLD FOR SELECT 1", "COMMIT"}, "cursor leak"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := NewPooled(t, Empty())
			ctx := ctxT(t)
			cfg, err := pgx.ParseConfig(p.PooledURL)
			if err != nil {
				t.Fatal(err)
			}
			cfg.DefaultQueryExecMode = tt.mode
			conn, err := pgx.ConnectConfig(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range tt.sql {
				var args []any
				if strings.Contains(q, "$1") {
					args = []any{1} // pgx sends argument-less statements with the simple protocol
				}
				if _, err := conn.Exec(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			// Closing the client ends nothing on the server session.
			conn.Close(ctx)
			found, err := SessionState(ctx, p.PooledURL, p.Bouncer.PoolSize())
			if err != nil {
				t.Fatal(err)
			}
			joined := strings.Join(found, "\n")
			switch {
			case tt.want == "" && len(found) > 0:
				t.Fatalf("SessionState found state where there is none:\n%s", joined)
			case tt.want != "" && !strings.Contains(joined, tt.want):
				t.Fatalf("SessionState missed %q; found:\n%s", tt.want, joined)
			}
		})
	}
}
