package seed_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/zap"

	"github.com/central/central/ent"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/seed"
	"github.com/central/central/internal/seedengine"
	"github.com/central/central/internal/tenantctx"
)

// TestCopyFromUnderRowSecurity: the seed COPY path runs as the app's role
// under the tables' policies. A COPY scoped to tenant A that carries a row
// of tenant B fails the seed and writes nothing; a COPY into a tenant-owned
// table without a tenant fails with ErrCopyNeedsTenant; A's own rows land.
//
// Deliberate bugs it catches: the policies' WITH CHECK relaxed (the B row
// would be accepted), and copyTenant moving the staged rows without setting
// app.tenant_id first (A's own rows would be refused).
func TestCopyFromUnderRowSecurity(t *testing.T) {
	ctx := context.Background()
	tdb := newTestDB(t)
	d, err := db.Open(ctx, config.Postgres{
		ReadWrite: config.Conn{URL: config.Secret(tdb.URL), PoolSize: 4, AppName: "seed_rls_rw"},
		ReadOnly:  config.Conn{URL: config.Secret(tdb.ReadOnlyURL), PoolSize: 2, AppName: "seed_rls_ro"},
	}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Stop(context.Background()) })
	admin := tdb.OpenAdminDB(t)
	database, err := seed.FromDB(d)
	if err != nil {
		t.Fatal(err)
	}
	a, b := entityid.NewTenantID(), entityid.NewTenantID()
	for i, tid := range []entityid.TenantID{a, b} {
		if _, err := admin.ExecContext(ctx, "INSERT INTO tenants (id, slug, display_name, status, created_at, updated_at) VALUES ($1, $2, $2, 'active', now(), now())", tid.UUID(), fmt.Sprintf("rls-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	users := func(tid entityid.TenantID) int {
		var n int
		if err := admin.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE tenant_id = $1", tid.UUID()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	run := func(name string, fn seedengine.Func[*db.DB]) error {
		r, err := seedengine.New(database, config.Development, copySet(name, fn), d)
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Run(ctx, seedengine.RunOptions{})
		return err
	}
	row := func(tid entityid.TenantID, email string) []any {
		return []any{entityid.NewUserID(), tid, email, "U"}
	}
	cols := []string{"id", "tenant_id", "email", "display_name"}

	err = run("0001_mixed", func(ctx context.Context, _ *db.DB) error {
		src := pgx.CopyFromRows([][]any{row(a, "a1@x.example"), row(b, "b1@x.example")})
		_, err := seedengine.CopyFrom(tenantctx.With(ctx, a), pgx.Identifier{"users"}, cols, src)
		return err
	})
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42501" {
		t.Fatalf("COPY under tenant A with a row of B: %v, want a row-level security refusal (42501)", err)
	}
	if na, nb := users(a), users(b); na != 0 || nb != 0 {
		t.Fatalf("after the refused COPY: %d users of A, %d of B; want none", na, nb)
	}

	err = run("0002_unscoped", func(ctx context.Context, _ *db.DB) error {
		_, err := seedengine.CopyFrom(ctx, pgx.Identifier{"users"}, cols, pgx.CopyFromRows([][]any{row(a, "a2@x.example")}))
		return err
	})
	if !errors.Is(err, seedengine.ErrCopyNeedsTenant) {
		t.Fatalf("COPY without a tenant: %v, want ErrCopyNeedsTenant", err)
	}

	err = run("0003_scoped", func(ctx context.Context, d *db.DB) error {
		src := pgx.CopyFromRows([][]any{row(a, "a3@x.example"), row(a, "a4@x.example")})
		if _, err := seedengine.CopyFrom(tenantctx.With(ctx, a), pgx.Identifier{"users"}, cols, src); err != nil {
			return err
		}
		// The COPY's tenant does not leak into the rest of the seed: an
		// unscoped count, let past the generated check (ent.CrossTenant),
		// sees no row under row-level security.
		n, err := d.Writer(ctx).User.Query().Count(ent.CrossTenant(ctx))
		if err == nil && n != 0 {
			err = fmt.Errorf("after the COPY an unscoped count sees %d users, want 0", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if na, nb := users(a), users(b); na != 2 || nb != 0 {
		t.Fatalf("after the scoped COPY: %d users of A, %d of B; want 2 and 0", na, nb)
	}
}
