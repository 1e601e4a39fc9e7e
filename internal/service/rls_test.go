package service_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"go.uber.org/zap/zaptest"

	"github.com/central/central/ent"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/entmeta"
	"github.com/central/central/internal/replica"
	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/service"
	"github.com/central/central/internal/tenantctx"
)

// rlsFixture creates tenants A and B through the services, each with a
// user, a connector and an object (and so audit events): a row of each
// tenant in every tenant-owned table.
type rlsFixture struct {
	a, b   entityid.TenantID
	userA  entityid.UserID
	userB  entityid.UserID
	tables []entmeta.Entity // ent.Entities() with Tenancy TenantOwned
}

func newRLSFixture(t *testing.T, e *env) rlsFixture {
	t.Helper()
	ctx := ctxT(t)
	f := rlsFixture{}
	for _, en := range ent.Entities() {
		if en.Tenancy == entmeta.TenantOwned {
			f.tables = append(f.tables, en)
		}
	}
	if len(f.tables) == 0 {
		t.Fatal("no tenant-owned entity in ent.Entities()")
	}
	mk := func(slug string) (entityid.TenantID, entityid.UserID) {
		tn, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: slug, DisplayName: slug})
		if err != nil {
			t.Fatal(err)
		}
		u, err := e.svc.Users.TxCreateUser(ctx, tn.ID, service.CreateUserInput{Email: "u@" + slug + ".example", Tags: map[string]string{"k": "v"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Connectors.Create(ctx, tn.ID, service.CreateConnectorInput{Name: "okta", Issuer: "https://" + slug + ".example", ClientID: "cid"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Objects.Create(ctx, tn.ID, service.CreateObjectInput{Bucket: "bucket-one", ObjectName: slug + "/o", SizeBytes: 1}); err != nil {
			t.Fatal(err)
		}
		return tn.ID, u.ID
	}
	f.a, f.userA = mk("tenant-a")
	f.b, f.userB = mk("tenant-b")
	// Every tenant-owned table must hold rows of both tenants, or the
	// checks below would pass vacuously.
	for _, en := range f.tables {
		for _, tid := range []entityid.TenantID{f.a, f.b} {
			var n int
			q := fmt.Sprintf("SELECT count(*) FROM %s WHERE %s = $1", pgx.Identifier{en.Table}.Sanitize(), pgx.Identifier{en.TenantColumn}.Sanitize())
			if err := e.raw.QueryRowContext(ctx, q, tid.UUID()).Scan(&n); err != nil || n == 0 {
				t.Fatalf("fixture: %s has %d rows of %s (%v): add a row of every tenant-owned entity to the fixture", en.Table, n, tid, err)
			}
		}
	}
	return f
}

func rlsRefused(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42501" // insufficient_privilege: new row violates row-level security policy
}

// inTenant runs fn in a transaction on conn with app.tenant_id set to tid
// (none when tid is zero), rolled back afterwards.
func inTenant(t *testing.T, conn *pgx.Conn, tid entityid.TenantID, fn func(tx pgx.Tx)) {
	t.Helper()
	ctx := ctxT(t)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if !tid.IsZero() {
		if _, err := tx.Exec(ctx, "SELECT set_config('app.tenant_id', $1, true)", tenantctx.ID(tid).String()); err != nil {
			t.Fatal(err)
		}
	}
	fn(tx)
}

// savepoint runs one statement that may fail without ending tx.
func savepoint(t *testing.T, tx pgx.Tx, fn func(tx pgx.Tx) error) error {
	t.Helper()
	ctx := ctxT(t)
	sp, err := tx.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = fn(sp)
	_ = sp.Rollback(ctx)
	return err
}

// appRole is a direct connection as one of the app's roles.
type appRole struct {
	name   string
	writes bool // central may write; central_ro may not
	conn   *pgx.Conn
}

// appRoles connects as the read-write owner central and the read-only
// central_ro, closed when the test ends.
func appRoles(t *testing.T, e *env) []appRole {
	t.Helper()
	var out []appRole
	for _, r := range []struct {
		name, url string
		writes    bool
	}{
		{"central", e.tdb.URL, true},
		{"central_ro", e.tdb.ReadOnlyURL, false},
	} {
		conn, err := pgx.Connect(ctxT(t), r.url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(context.Background()) })
		out = append(out, appRole{r.name, r.writes, conn})
	}
	return out
}

// TestRowSecurityEveryTableEveryRole walks ent.Entities() and checks, on
// every tenant-owned table and as each app role (read-write owner central,
// read-only central_ro): without a tenant no row is visible and an insert
// is refused; with tenant A set, B's rows are invisible, updates and
// deletes of them touch nothing, and a write that sets B's tenant_id is
// refused.
//
// Deliberate bugs it catches (each tried): the migration without FORCE ROW
// LEVEL SECURITY (central owns the tables, so it sees and writes every row),
// and the policies with WITH CHECK (true) instead of the tenant condition
// (an insert or update under A may then write B's tenant_id; note that a
// policy with no WITH CHECK at all reuses USING, which is safe).
func TestRowSecurityEveryTableEveryRole(t *testing.T) {
	e := newEnv(t)
	f := newRLSFixture(t, e)
	ctx := ctxT(t)
	for _, role := range appRoles(t, e) {
		conn := role.conn
		for _, en := range f.tables {
			t.Run(role.name+"/"+en.Table, func(t *testing.T) {
				tbl := pgx.Identifier{en.Table}.Sanitize()
				col := pgx.Identifier{en.TenantColumn}.Sanitize()
				count := func(tx pgx.Tx, where string, args ...any) int {
					var n int
					if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+tbl+" "+where, args...).Scan(&n); err != nil {
						t.Fatal(err)
					}
					return n
				}
				// copyRow inserts a copy of one row of tenant src (read as
				// the superuser) with a new id and tenant_id dst.
				copyRow := func(tx pgx.Tx, src, dst entityid.TenantID) error {
					var row []byte
					if err := e.raw.QueryRowContext(ctx, "SELECT to_jsonb(t) FROM "+tbl+" t WHERE "+col+" = $1 LIMIT 1", src.UUID()).Scan(&row); err != nil {
						t.Fatal(err)
					}
					_, err := tx.Exec(ctx, "INSERT INTO "+tbl+" SELECT (jsonb_populate_record(NULL::"+tbl+", $1::jsonb || jsonb_build_object('id', gen_random_uuid(), $2::text, $3::uuid))).*",
						row, en.TenantColumn, dst.UUID())
					return err
				}

				inTenant(t, conn, entityid.TenantID{}, func(tx pgx.Tx) {
					if n := count(tx, ""); n != 0 {
						t.Errorf("no tenant set: %d rows visible, want 0", n)
					}
					err := savepoint(t, tx, func(tx pgx.Tx) error { return copyRow(tx, f.a, f.a) })
					if err == nil || (role.writes && !rlsRefused(err)) {
						t.Errorf("no tenant set: insert: %v, want a row-level security refusal", err)
					}
				})
				inTenant(t, conn, f.a, func(tx pgx.Tx) {
					if n := count(tx, "WHERE "+col+" = $1", f.b.UUID()); n != 0 {
						t.Errorf("tenant A: %d rows of B visible, want 0", n)
					}
					if n := count(tx, ""); n == 0 || n != count(tx, "WHERE "+col+" = $1", f.a.UUID()) {
						t.Errorf("tenant A: sees %d rows, want only (and all of) A's", n)
					}
					if !role.writes {
						return
					}
					for _, stmt := range []string{
						"UPDATE " + tbl + " SET " + col + " = " + col + " WHERE " + col + " = $1",
						"DELETE FROM " + tbl + " WHERE " + col + " = $1",
					} {
						tag, err := tx.Exec(ctx, stmt, f.b.UUID())
						if err != nil || tag.RowsAffected() != 0 {
							t.Errorf("tenant A: %s on B's rows: %d rows, %v; want 0 rows", stmt, tag.RowsAffected(), err)
						}
					}
					if err := savepoint(t, tx, func(tx pgx.Tx) error { return copyRow(tx, f.a, f.b) }); !rlsRefused(err) {
						t.Errorf("tenant A: insert with B's tenant_id: %v, want a WITH CHECK refusal", err)
					}
					if err := savepoint(t, tx, func(tx pgx.Tx) error {
						_, err := tx.Exec(ctx, "UPDATE "+tbl+" SET "+col+" = $1 WHERE "+col+" = $2", f.b.UUID(), f.a.UUID())
						return err
					}); !rlsRefused(err) {
						t.Errorf("tenant A: moving A's rows to B: %v, want a WITH CHECK refusal", err)
					}
					if err := savepoint(t, tx, func(tx pgx.Tx) error { return copyRow(tx, f.a, f.a) }); err != nil && rlsRefused(err) {
						t.Errorf("tenant A: insert of an A row refused by row-level security: %v", err)
					}
				})
			})
		}
	}
}

// TestRowSecurityViaParent walks ent.Entities() and checks, on every table
// of an entity owned through its parent (entmeta.TenantOwnedVia: no tenant
// column; its policy is EXISTS of the parent, under the parent's policy)
// and as each app role: without a tenant no row is visible and an insert
// is refused; with tenant A set, B's rows are invisible, updates and
// deletes of them touch nothing, and a row pointed at B's parent (insert or
// update) is refused. Which rows and parents are B's is read as the
// superuser, so no filter of the test itself is under the policy.
//
// Deliberate bug it catches (tried): the user_tags policy with WITH CHECK
// (true) in the migration (rehashed): an insert without a tenant, and one
// by A on B's user, are no longer refused by row-level security. Without
// the policy at all, rows are visible with no tenant and B's to A.
func TestRowSecurityViaParent(t *testing.T) {
	e := newEnv(t)
	f := newRLSFixture(t, e)
	ctx := ctxT(t)
	byName := map[string]entmeta.Entity{}
	var via []entmeta.Entity
	for _, en := range ent.Entities() {
		byName[en.Name] = en
		if en.Tenancy == entmeta.TenantOwnedVia {
			via = append(via, en)
		}
	}
	if len(via) == 0 {
		t.Fatal("no entity owned through a parent in ent.Entities()")
	}
	for _, role := range appRoles(t, e) {
		conn := role.conn
		for _, en := range via {
			t.Run(role.name+"/"+en.Table, func(t *testing.T) {
				parent := byName[en.Parent]
				tbl, fk := pgx.Identifier{en.Table}.Sanitize(), pgx.Identifier{en.ViaColumn}.Sanitize()
				ptbl, pid, pcol := pgx.Identifier{parent.Table}.Sanitize(), pgx.Identifier{parent.IDColumn}.Sanitize(), pgx.Identifier{parent.TenantColumn}.Sanitize()
				// ids returns, as the superuser, the ids of tenant tid's rows and parents.
				ids := func(tid entityid.TenantID) (rows, parents []string) {
					for _, q := range []struct {
						sql string
						out *[]string
					}{
						{"SELECT t.id::text FROM " + tbl + " t JOIN " + ptbl + " p ON p." + pid + " = t." + fk + " WHERE p." + pcol + " = $1", &rows},
						{"SELECT " + pid + "::text FROM " + ptbl + " WHERE " + pcol + " = $1", &parents},
					} {
						r, err := e.raw.QueryContext(ctx, q.sql, tid.UUID())
						if err != nil {
							t.Fatal(err)
						}
						for r.Next() {
							var id string
							if err := r.Scan(&id); err != nil {
								t.Fatal(err)
							}
							*q.out = append(*q.out, id)
						}
						if err := r.Err(); err != nil {
							t.Fatal(err)
						}
					}
					if len(rows) == 0 || len(parents) == 0 {
						t.Fatalf("fixture: tenant %s has %d rows and %d parents in %s: the check would be vacuous", tid, len(rows), len(parents), en.Table)
					}
					return rows, parents
				}
				rowsA, parentsA := ids(f.a)
				rowsB, parentsB := ids(f.b)
				count := func(tx pgx.Tx, where string, args ...any) int {
					var n int
					if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+tbl+" "+where, args...).Scan(&n); err != nil {
						t.Fatal(err)
					}
					return n
				}
				// copyRow inserts a copy of row src (read as the superuser)
				// with a new id, pointed at parent dst.
				copyRow := func(tx pgx.Tx, src, dst string) error {
					var row []byte
					if err := e.raw.QueryRowContext(ctx, "SELECT to_jsonb(t) FROM "+tbl+" t WHERE id::text = $1", src).Scan(&row); err != nil {
						t.Fatal(err)
					}
					_, err := tx.Exec(ctx, "INSERT INTO "+tbl+" SELECT (jsonb_populate_record(NULL::"+tbl+", $1::jsonb || jsonb_build_object('id', gen_random_uuid(), $2::text, $3::uuid))).*",
						row, en.ViaColumn, dst)
					return err
				}
				inTenant(t, conn, entityid.TenantID{}, func(tx pgx.Tx) {
					if n := count(tx, ""); n != 0 {
						t.Errorf("no tenant set: %d rows visible, want 0", n)
					}
					err := savepoint(t, tx, func(tx pgx.Tx) error { return copyRow(tx, rowsA[0], parentsA[0]) })
					if err == nil || (role.writes && !rlsRefused(err)) {
						t.Errorf("no tenant set: insert: %v, want a row-level security refusal", err)
					}
				})
				inTenant(t, conn, f.a, func(tx pgx.Tx) {
					if n := count(tx, "WHERE id::text = ANY($1)", rowsB); n != 0 {
						t.Errorf("tenant A: %d rows of B visible, want 0", n)
					}
					if n := count(tx, ""); n != len(rowsA) {
						t.Errorf("tenant A: sees %d rows, want A's %d", n, len(rowsA))
					}
					if !role.writes {
						return
					}
					for _, stmt := range []string{
						"UPDATE " + tbl + " SET " + fk + " = " + fk + " WHERE id::text = ANY($1)",
						"DELETE FROM " + tbl + " WHERE id::text = ANY($1)",
					} {
						tag, err := tx.Exec(ctx, stmt, rowsB)
						if err != nil || tag.RowsAffected() != 0 {
							t.Errorf("tenant A: %s on B's rows: %d rows, %v; want 0 rows", stmt, tag.RowsAffected(), err)
						}
					}
					if err := savepoint(t, tx, func(tx pgx.Tx) error { return copyRow(tx, rowsA[0], parentsB[0]) }); !rlsRefused(err) {
						t.Errorf("tenant A: insert on B's parent: %v, want a WITH CHECK refusal", err)
					}
					if err := savepoint(t, tx, func(tx pgx.Tx) error {
						_, err := tx.Exec(ctx, "UPDATE "+tbl+" SET "+fk+" = $1::uuid WHERE id::text = ANY($2)", parentsB[0], rowsA)
						return err
					}); !rlsRefused(err) {
						t.Errorf("tenant A: moving A's rows to B's parent: %v, want a WITH CHECK refusal", err)
					}
					if err := savepoint(t, tx, func(tx pgx.Tx) error {
						_, err := tx.Exec(ctx, "DELETE FROM "+tbl+" WHERE id::text = ANY($1)", rowsA)
						return err
					}); err != nil {
						t.Errorf("tenant A: deleting A's own rows: %v", err)
					}
				})
				// B's rows are all still there.
				var n int
				if err := e.raw.QueryRowContext(ctx, "SELECT count(*) FROM "+tbl+" WHERE id::text = ANY($1)", rowsB).Scan(&n); err != nil || n != len(rowsB) {
					t.Errorf("B's rows after A's attempts: %d of %d (%v)", n, len(rowsB), err)
				}
			})
		}
	}
}

// TestRawSQLInsideServiceOperation: a hand-written query without any tenant
// predicate, run on the transaction's connection after a scoped service
// call, sees only that tenant's rows; before any scoped call, none.
//
// Deliberate bug it catches: the driver sending set_config outside the
// statement's transaction (on the pool, or as a separate implicit
// transaction) — then the setting is gone when the statement runs, the
// scoped Get fails with not-found and the count is 0.
func TestRawSQLInsideServiceOperation(t *testing.T) {
	e := newEnv(t)
	f := newRLSFixture(t, e)
	ctx := ctxT(t)
	rawCount := func(ctx context.Context) (n int) {
		t.Helper()
		if err := e.db.WithTxConn(ctx, func(conn *pgx.Conn) error {
			return conn.QueryRow(ctx, "SELECT count(*) FROM users").Scan(&n)
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	err := e.db.WithTx(ctx, func(ctx context.Context) error {
		if n := rawCount(ctx); n != 0 {
			t.Errorf("before any scoped call: raw SELECT sees %d users, want 0", n)
		}
		if _, err := e.svc.Users.Get(ctx, f.a, f.userA); err != nil {
			return err
		}
		if n := rawCount(ctx); n != 1 {
			t.Errorf("after a call scoped to A: raw SELECT sees %d users, want A's 1", n)
		}
		if _, err := e.svc.Users.Get(ctx, f.a, f.userB); !errors.Is(err, service.ErrNotFound) {
			t.Errorf("B's user through A's scope: %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Outside a transaction: each scoped read carries its tenant (one batch).
	if _, err := e.svc.Users.Get(ctx, f.b, f.userB); err != nil {
		t.Fatalf("B's user outside a transaction: %v", err)
	}
	// The app's read-write client without a scope is refused by the
	// generated check; let past it (ent.CrossTenant), it sees no
	// tenant-owned rows: row-level security is a lock of its own.
	if _, err := e.db.Client().User.Query().Count(ctx); !errors.Is(err, ent.ErrUnscopedTenantQuery) {
		t.Errorf("unscoped count through the app's client: %v; want ErrUnscopedTenantQuery", err)
	}
	if n, err := e.db.Client().User.Query().Count(ent.CrossTenant(ctx)); err != nil || n != 0 {
		t.Errorf("cross-tenant count through the app's client: %d, %v; want 0", n, err)
	}
	if n, err := e.db.Client().User.Query().Count(ent.CrossTenant(tenantctx.With(ctx, f.a))); err != nil || n != 1 {
		t.Errorf("count with tenant A in the context: %d, %v; want 1", n, err)
	}
}

// TestRowSecurityOnReplica: the policies replicate, and a read routed to
// the streaming replica is scoped exactly like one on the primary: the
// scoped client's tenant reaches the replica's statement, and a raw query on
// the replica without a tenant sees nothing.
//
// Deliberate bug it catches: replica targets built on a driver that does
// not send the tenant (a plain pgx Query): scoped reads on the replica then
// return not-found.
func TestRowSecurityOnReplica(t *testing.T) {
	pair := dbtest.NewPair(t)
	e := newEnvOn(t, pair.DB, pair.ReplicaReadOnlyURL)
	f := newRLSFixture(t, e)
	ctx := ctxT(t)
	if err := pair.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	waitReplicaHealthy(t, e)
	before := e.db.Router().Stats()
	if _, err := e.svc.Users.Get(ctx, f.a, f.userA); err != nil {
		t.Fatalf("A's user through the replica: %v", err)
	}
	if _, err := e.svc.Users.Get(ctx, f.a, f.userB); !errors.Is(err, service.ErrNotFound) {
		t.Errorf("B's user through A's scope on the replica: %v, want ErrNotFound", err)
	}
	if after := e.db.Router().Stats(); after.ReplicaReads["replica-1"]-before.ReplicaReads["replica-1"] < 2 || after.Retries != before.Retries {
		t.Fatalf("reads did not both run on the replica (%+v -> %+v): the test proves nothing", before, after)
	}
	conn, err := pgx.Connect(ctx, pair.ReplicaReadOnlyURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, en := range f.tables {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{en.Table}.Sanitize()).Scan(&n); err != nil || n != 0 {
			t.Errorf("replica, no tenant: %s shows %d rows (%v), want 0", en.Table, n, err)
		}
		inTenant(t, conn, f.a, func(tx pgx.Tx) {
			var n int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{en.Table}.Sanitize()+" WHERE "+pgx.Identifier{en.TenantColumn}.Sanitize()+" = $1", f.b.UUID()).Scan(&n); err != nil || n != 0 {
				t.Errorf("replica, tenant A: %s shows %d rows of B (%v), want 0", en.Table, n, err)
			}
		})
	}
}

// newEnvOn is newEnv on tdb with the read-only side on the replica.
func newEnvOn(t *testing.T, tdb *dbtest.DB, replicaURL string) *env {
	t.Helper()
	kr := keyring(t, key1, map[sensitive.KeyRef][32]byte{key1: testKey(1)})
	e := &env{tdb: tdb, raw: tdb.OpenAdminDB(t), keys: kr}
	cfg := config.Postgres{
		ReadWrite:     config.Conn{URL: config.Secret(tdb.URL), PoolSize: 4, AppName: "rls_rw"},
		ReadOnly:      config.Conn{URL: config.Secret(tdb.ReadOnlyURL), PoolSize: 4, AppName: "rls_ro"},
		Replicas:      []config.Secret{config.Secret(replicaURL)},
		ReplicaMaxLag: config.DefaultReplicaMaxLag,
	}
	d, err := db.Open(ctxT(t), cfg, zaptest.NewLogger(t).Named("db"), db.WithReplicaOptions(replica.WithPollInterval(20*time.Millisecond)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Stop(context.Background()) })
	e.db = d
	if e.svc, err = service.NewServices(zaptest.NewLogger(t), d, kr); err != nil {
		t.Fatal(err)
	}
	return e
}

func waitReplicaHealthy(t *testing.T, e *env) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		st := e.db.Router().Status()
		if len(st) == 1 && st[0].Healthy {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica never healthy: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
