package db_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/central/central/ent"
	"github.com/central/central/ent/user"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/pgxdriver"
)

// TestEntReadsEveryRowApart reads rows whose every nullable column
// alternates between NULL and a value, through the generated read path
// (which reuses scan targets across the rows of a query, see
// internal/entgen/fastread.go), and compares each entity with the row as raw
// pgx reads it. The bugs it guards: a target laid out on the wrong column or
// shared by two, a reused target whose NULL keeps the row before's value, and
// a select list that misses or swaps a column.
func TestEntReadsEveryRowApart(t *testing.T) {
	tdb := dbtest.New(t)
	ctx := context.Background()
	admin := tdb.OpenAdminDB(t)
	tid := entityid.NewTenantID()
	if _, err := admin.ExecContext(ctx, `INSERT INTO tenants (id, slug, display_name, status, created_at, updated_at) VALUES ($1, 'rows', 'Rows', 'active', now(), now())`, tid.UUID()); err != nil {
		t.Fatal(err)
	}
	const n = 12
	for i := range n {
		var name, idp any
		if i%2 == 0 {
			name = fmt.Sprintf("User %d", i)
		}
		if i%3 == 0 {
			// Not an envelope: Sealed scans it leniently (Err says why).
			idp = fmt.Sprintf(`{"row": %d}`, i)
		}
		status := "active"
		if i%4 == 1 {
			status = "disabled"
		}
		if _, err := admin.ExecContext(ctx, `INSERT INTO users (id, tenant_id, email, display_name, status, idp_user_info, profile, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, now() - make_interval(secs => $8), now())`,
			entityid.NewUserID().UUID(), tid.UUID(), fmt.Sprintf("u%02d@rows.example", i), name, status, idp,
			fmt.Sprintf(`{"title": "t%d"}`, i), i); err != nil {
			t.Fatal(err)
		}
	}
	pool := tdb.Pool(t)
	client := ent.NewClient(ent.Driver(pgxdriver.New(pool)))
	got, err := client.ForTenant(tid).User.Query().Order(ent.Asc(user.FieldEmail)).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("got %d users, want %d", len(got), n)
	}
	// As the superuser: row-level security would hide the rows from the
	// owner role without a tenant set.
	rows, err := admin.QueryContext(ctx, `SELECT id, created_at, email, coalesce(display_name, ''), status::text, idp_user_info IS NULL, profile->>'title' FROM users WHERE tenant_id = $1 ORDER BY email`, tid.UUID())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	compared := 0
	for i := 0; rows.Next(); i++ {
		compared++
		var want ent.User
		var idpNull bool
		var title string
		if err := rows.Scan(&want.ID, &want.CreatedAt, &want.Email, &want.DisplayName, &want.Status, &idpNull, &title); err != nil {
			t.Fatal(err)
		}
		g := got[i]
		if g.ID != want.ID || !g.CreatedAt.Equal(want.CreatedAt) || g.Email != want.Email ||
			g.DisplayName != want.DisplayName || g.Status != want.Status || g.TenantID != tid {
			t.Errorf("row %d: ent read %v, the row is %v", i, g, &want)
		}
		if g.Profile.Title != title {
			t.Errorf("row %d: profile title %q, the row has %q", i, g.Profile.Title, title)
		}
		if g.IdpUserInfo.IsZero() != idpNull {
			t.Errorf("row %d: idp_user_info zero = %v, the row's is NULL = %v", i, g.IdpUserInfo.IsZero(), idpNull)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if compared != n {
		t.Fatalf("compared %d rows, want %d", compared, n)
	}

	// Gets by ID (the generated sqlFastGet) read each row as the list did,
	// through the scope and through the read-only client, and nothing of
	// another tenant.
	for _, u := range got {
		for name, get := range map[string]func() (*ent.User, error){
			"scope":           func() (*ent.User, error) { return client.ForTenant(tid).User.Get(ctx, u.ID) },
			"read-only scope": func() (*ent.User, error) { return client.ReadOnly().ForTenant(tid).User.Get(ctx, u.ID) },
		} {
			g, err := get()
			if err != nil || g.String() != u.String() || g.IdpUserInfo.IsZero() != u.IdpUserInfo.IsZero() {
				t.Errorf("%s get of %s = %v, %v; the list read %v", name, u.ID, g, err, u)
			}
		}
		if _, err := client.ForTenant(entityid.NewTenantID()).User.Get(ctx, u.ID); !ent.IsNotFound(err) {
			t.Errorf("another tenant's scope got %s: %v, want not found", u.ID, err)
		}
	}
	tn, err := client.ReadOnly().Tenant.Get(ctx, tid)
	if err != nil || tn.ID != tid || tn.Slug != "rows" || tn.DisplayName != "Rows" {
		t.Errorf("read-only get of the tenant = %v, %v", tn, err)
	}
	if _, err := client.ReadOnly().Tenant.Get(ctx, entityid.NewTenantID()); !ent.IsNotFound(err) {
		t.Errorf("read-only get of a missing tenant: %v, want not found", err)
	}
}
