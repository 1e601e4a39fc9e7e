package schema_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/central/central/ent"
	"github.com/central/central/ent/tenant"
	"github.com/central/central/ent/user"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// newClient returns an ent client on a fresh, migrated database, connected
// as the superuser: these tests check the schema (constraints, cascades),
// not tenant isolation, which row-level security would otherwise add.
// adminCtx is the context of these schema tests: they run as the superuser
// and write rows of several tenants (and tenant-less audit events) with
// the plain client, on purpose (ent.CrossTenant).
func adminCtx() context.Context { return ent.CrossTenant(context.Background()) }

func newClient(t *testing.T) (*ent.Client, *dbtest.DB) {
	t.Helper()
	d := dbtest.New(t)
	client := ent.NewClient(ent.Driver(entsql.OpenDB("postgres", d.OpenAdminDB(t))))
	return client, d
}

func createTenant(t *testing.T, c *ent.Client, slug string) *ent.Tenant {
	t.Helper()
	tn, err := c.Tenant.Create().SetSlug(slug).SetDisplayName("Tenant " + slug).Save(context.Background())
	if err != nil {
		t.Fatalf("create tenant %s: %v", slug, err)
	}
	return tn
}

func TestIDsRoundTripThroughPostgresAndJSON(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, d := newClient(t)
	created := createTenant(t, c, "acme")

	got, err := c.Tenant.Get(ctx, created.ID)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.ID != created.ID {
		t.Fatalf("ID changed through PostgreSQL: %s -> %s", created.ID, got.ID)
	}
	// PostgreSQL holds the ULID's 16 bytes as a uuid.
	var stored string
	if err := d.OpenAdminDB(t).QueryRowContext(ctx, "SELECT id::text FROM tenants WHERE slug = 'acme'").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != created.ID.UUIDString() {
		t.Errorf("stored uuid %s, want %s", stored, created.ID.UUIDString())
	}

	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		ID entityid.TenantID `json:"id"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	if back.ID != created.ID {
		t.Errorf("JSON round trip: %s -> %s (%s)", created.ID, back.ID, b)
	}
}

func TestGeneratedIDsAreInTimeOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := newClient(t)
	var want []entityid.TenantID
	for _, slug := range []string{"t-one", "t-two", "t-three", "t-four", "t-five"} {
		want = append(want, createTenant(t, c, slug).ID)
	}
	got, err := c.Tenant.Query().Order(ent.Asc(tenant.FieldID)).IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("ORDER BY id = %v, want creation order %v", got, want)
	}
}

func TestConstraintsAreEnforcedByPostgres(t *testing.T) {
	t.Parallel()
	ctx := adminCtx()
	c, d := newClient(t)
	tn := createTenant(t, c, "acme")
	u, err := c.User.Create().SetTenantID(tn.ID).SetEmail("ada@acme.test").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db := d.OpenAdminDB(t)

	// Raw SQL bypasses ent's Go validators: PostgreSQL must refuse on its own.
	tests := []struct {
		name, sql string
		args      []any
		code      string
	}{
		{"slug format", `INSERT INTO tenants (id, slug, display_name) VALUES (gen_random_uuid(), 'Bad Slug', 'x')`, nil, "23514"},
		{"slug with a double hyphen", `INSERT INTO tenants (id, slug, display_name) VALUES (gen_random_uuid(), 'a--b', 'x')`, nil, "23514"},
		{"blank display name", `INSERT INTO tenants (id, slug, display_name) VALUES (gen_random_uuid(), 'okslug', '  ')`, nil, "23514"},
		{"duplicate slug", `INSERT INTO tenants (id, slug, display_name) VALUES (gen_random_uuid(), 'acme', 'x')`, nil, "23505"},
		{"unknown tenant status", `INSERT INTO tenants (id, slug, display_name, status) VALUES (gen_random_uuid(), 'st', 'x', 'gone')`, nil, "22P02"},
		{"uppercase email", `INSERT INTO users (id, tenant_id, email) VALUES (gen_random_uuid(), $1, 'Ada@acme.test')`, []any{tn.ID}, "23514"},
		{"duplicate email in tenant", `INSERT INTO users (id, tenant_id, email) VALUES (gen_random_uuid(), $1, 'ada@acme.test')`, []any{tn.ID}, "23505"},
		{"user of unknown tenant", `INSERT INTO users (id, tenant_id, email) VALUES (gen_random_uuid(), gen_random_uuid(), 'x@y.z')`, nil, "23503"},
		{"duplicate tag key", `INSERT INTO user_tags (id, user_id, key, value) VALUES (gen_random_uuid(), $1, 'k', 'a'), (gen_random_uuid(), $1, 'k', 'b')`, []any{u.ID}, "23505"},
		{"tag key format", `INSERT INTO user_tags (id, user_id, key, value) VALUES (gen_random_uuid(), $1, 'Bad Key', 'a')`, []any{u.ID}, "23514"},
		{"bucket uppercase", `INSERT INTO stored_objects (id, tenant_id, bucket, object_name, size_bytes) VALUES (gen_random_uuid(), $1, 'My-Bucket', 'a', 1)`, []any{tn.ID}, "23514"},
		{"bucket shaped like an IP", `INSERT INTO stored_objects (id, tenant_id, bucket, object_name, size_bytes) VALUES (gen_random_uuid(), $1, '192.168.5.4', 'a', 1)`, []any{tn.ID}, "23514"},
		{"bucket with ..", `INSERT INTO stored_objects (id, tenant_id, bucket, object_name, size_bytes) VALUES (gen_random_uuid(), $1, 'my..bucket', 'a', 1)`, []any{tn.ID}, "23514"},
		{"empty object name", `INSERT INTO stored_objects (id, tenant_id, bucket, object_name, size_bytes) VALUES (gen_random_uuid(), $1, 'my-bucket', '', 1)`, []any{tn.ID}, "23514"},
		{"negative size", `INSERT INTO stored_objects (id, tenant_id, bucket, object_name, size_bytes) VALUES (gen_random_uuid(), $1, 'my-bucket', 'a', -1)`, []any{tn.ID}, "23514"},
		{"null bucket", `INSERT INTO stored_objects (id, tenant_id, bucket, object_name, size_bytes) VALUES (gen_random_uuid(), $1, NULL, 'a', 1)`, []any{tn.ID}, "23502"},
		{"seed hash format", `INSERT INTO seeds (id, name, environment, sha256, duration_ms) VALUES (gen_random_uuid(), 's', 'development', 'nothex', 0)`, nil, "23514"},
		{"audit action format", `INSERT INTO audit_events (id, action, entity_id) VALUES (gen_random_uuid(), 'Create Tenant', 'tenant-x')`, nil, "23514"},
		{"issuer not a URL", `INSERT INTO oidc_connectors (id, tenant_id, name, issuer, client_id, state) VALUES (gen_random_uuid(), $1, 'n', 'ftp://x', 'c', '{}')`, []any{tn.ID}, "23514"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.ExecContext(ctx, tt.sql, tt.args...)
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != tt.code {
				t.Fatalf("got %v, want SQLSTATE %s", err, tt.code)
			}
		})
	}

	// The same email in another tenant is fine: uniqueness is per tenant.
	other := createTenant(t, c, "globex")
	if _, err := c.User.Create().SetTenantID(other.ID).SetEmail("ada@acme.test").Save(ctx); err != nil {
		t.Errorf("same email in another tenant: %v", err)
	}
	// A valid bucket passes both the Go validator and the CHECK.
	if _, err := c.StoredObject.Create().SetTenantID(tn.ID).SetBucket("my-bucket.v2").SetObjectName("a/b.txt").SetSizeBytes(3).Save(ctx); err != nil {
		t.Errorf("valid stored object: %v", err)
	}
	// ent's validators reject the same values before a round trip.
	if _, err := c.StoredObject.Create().SetTenantID(tn.ID).SetBucket("My-Bucket").SetObjectName("a").SetSizeBytes(1).Save(ctx); !ent.IsValidationError(err) {
		t.Errorf("ent accepted an invalid bucket: %v", err)
	}
	if _, err := c.Tenant.Create().SetSlug("a--b").SetDisplayName("x").Save(ctx); !ent.IsValidationError(err) {
		t.Errorf("ent accepted a slug the CHECK refuses: %v", err)
	}
}

func TestDeletingATenantCascades(t *testing.T) {
	t.Parallel()
	ctx := adminCtx()
	c, d := newClient(t)
	tn := createTenant(t, c, "acme")
	keep := createTenant(t, c, "keep")
	u := c.User.Create().SetTenantID(tn.ID).SetEmail("a@acme.test").SaveX(ctx)
	c.UserTag.Create().SetUserID(u.ID).SetKey("team").SetValue("core").SaveX(ctx)
	c.StoredObject.Create().SetTenantID(tn.ID).SetBucket("acme-files").SetObjectName("x").SetSizeBytes(1).SaveX(ctx)
	c.User.Create().SetTenantID(keep.ID).SetEmail("b@keep.test").SaveX(ctx)
	c.AuditEvent.Create().SetTenantID(tn.ID).SetAction("tenant.create").SetEntityID(tn.ID.String()).SaveX(ctx)

	c.Tenant.DeleteOneID(tn.ID).ExecX(ctx)

	db := d.OpenAdminDB(t)
	for table, want := range map[string]int{"users": 1, "user_tags": 0, "stored_objects": 0, "audit_events": 1} {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s: %d rows after deleting the tenant, want %d", table, n, want)
		}
	}
	if n := c.User.Query().Where(user.TenantID(keep.ID)).CountX(ctx); n != 1 {
		t.Errorf("the other tenant's users were touched: %d left", n)
	}
}

func TestTypedJSONRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := adminCtx()
	c, _ := newClient(t)
	want := jsonb.AuditDetails{"slug": "acme", "reason": "signup \"quoted\" ✓"}
	ev := c.AuditEvent.Create().SetAction("tenant.create").SetEntityID("tenant-x").SetDetails(want).SaveX(ctx)
	got := c.AuditEvent.GetX(ctx, ev.ID).Details
	if len(got) != len(want) || got["slug"] != want["slug"] || got["reason"] != want["reason"] {
		t.Errorf("details = %v, want %v", got, want)
	}
}

func TestReadOnlyClientCannotSaveItsEntities(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := newClient(t)
	tn := createTenant(t, c, "acme")

	ro := c.ReadOnly()
	loaded, err := ro.Tenant.Get(ctx, tn.ID)
	if err != nil {
		t.Fatalf("read through the read-only client: %v", err)
	}
	_, err = loaded.Update().SetDisplayName("changed").Save(ctx)
	if !errors.Is(err, ent.ErrReadOnly) {
		t.Fatalf("saving an entity loaded read-only: err = %v, want ent.ErrReadOnly", err)
	}
	// The read-write client it was derived from is unaffected.
	if _, err := c.Tenant.UpdateOneID(tn.ID).SetDisplayName("changed").Save(ctx); err != nil {
		t.Fatalf("read-write client after ReadOnly(): %v", err)
	}
	if n, err := ro.Tenant.Count(ctx); err != nil || n != 1 {
		t.Errorf("Count = %d, %v", n, err)
	}
	if ok, err := ro.Tenant.Exist(ctx, tn.ID); err != nil || !ok {
		t.Errorf("Exist = %v, %v", ok, err)
	}
}
