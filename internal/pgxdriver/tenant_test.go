package pgxdriver_test

import (
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/pgxdriver"
	"github.com/central/central/internal/tenantctx"
)

// TestTenantSetting: a statement whose context carries a tenant runs with
// app.tenant_id set to it — queries and execs, on the pool and in a
// transaction — and the setting never outlives the statement's transaction:
// the next statement on the same (only) connection sees none.
//
// Deliberate bug it catches: set_config sent as its own statement before the
// query (its implicit transaction ends before the query runs, so the query
// sees no tenant), or with is_local false (the setting leaks to the next
// user of the connection).
func TestTenantSetting(t *testing.T) {
	ctx := ctxT(t)
	cfg, err := pgxpool.ParseConfig(dbtest.New(t, dbtest.Empty()).URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1 // every statement on the same connection
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	d := pgxdriver.New(pool)
	id := tenantctx.ID{0: 0xab, 15: 0x01}
	tctx := tenantctx.With(ctx, id)
	const get = "SELECT coalesce(current_setting('app.tenant_id', true), '')"
	var got string
	for range 3 { // prepared after the first run: both paths of pgx's batch
		if err := query(tctx, d, get, nil, &got); err != nil || got != id.String() {
			t.Fatalf("query with a tenant: %q, %v; want %q", got, err, id.String())
		}
		if err := query(ctx, d, get, nil, &got); err != nil || got != "" {
			t.Fatalf("next query without a tenant: %q, %v; want none", got, err)
		}
	}
	var res sql.Result
	if err := d.Exec(tctx, "DO $$ BEGIN IF current_setting('app.tenant_id', true) IS DISTINCT FROM '"+id.String()+"' THEN RAISE 'no tenant'; END IF; END $$", []any{}, &res); err != nil {
		t.Fatalf("exec with a tenant: %v", err)
	}
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := query(tctx, tx, get, nil, &got); err != nil || got != id.String() {
		t.Fatalf("in a transaction: %q, %v; want %q", got, err, id.String())
	}
	other := tenantctx.ID{0: 0xcd}
	if err := query(tenantctx.With(ctx, other), tx, get, nil, &got); err != nil || got != other.String() {
		t.Fatalf("second tenant in the transaction: %q, %v; want %q", got, err, other.String())
	}
}

// TestQueryContextRefusesTenant: QueryContext's database/sql view cannot
// send the tenant setting, so a context carrying a tenant is refused with
// an error naming the alternative, and the dialect-level Query carries it.
//
// Deliberate bug it catches: QueryContext running the query anyway (the
// tenant silently dropped: under row-level security it sees no row).
func TestQueryContextRefusesTenant(t *testing.T) {
	ctx := ctxT(t)
	tdb := dbtest.New(t, dbtest.Empty())
	d := pgxdriver.New(tdb.Pool(t), pgxdriver.WithDatabaseSQL(tdb.OpenDB(t)))
	id := tenantctx.ID{0: 0x12, 15: 0x34}
	rows, err := d.QueryContext(tenantctx.With(ctx, id), "SELECT 1")
	if err == nil {
		rows.Close()
		t.Fatal("QueryContext with a tenant in the context ran without it")
	}
	if !errors.Is(err, pgxdriver.ErrTenantQueryContext) || !strings.Contains(err.Error(), "dialect-level Query") || !strings.Contains(err.Error(), id.String()) {
		t.Fatalf("err = %v, want ErrTenantQueryContext naming the tenant and the alternative", err)
	}
	// Without a tenant the database/sql view still works.
	rows, err = d.QueryContext(ctx, "SELECT 1")
	if err != nil {
		t.Fatalf("QueryContext without a tenant: %v", err)
	}
	rows.Close()
	var got string
	if err := query(tenantctx.With(ctx, id), d, "SELECT current_setting('app.tenant_id', true)", nil, &got); err != nil || got != id.String() {
		t.Fatalf("dialect-level Query: %q, %v; want %q", got, err, id.String())
	}
}
