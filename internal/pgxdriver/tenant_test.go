package pgxdriver_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

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

// TestTenantEveryEntryPoint: each way a statement reaches the driver — Exec,
// Query and ExecContext, on the pool and in a transaction — sends the
// context's tenant with it. The probe statement raises unless
// app.tenant_id is the context's tenant when it runs.
//
// Deliberate bug it catches: Tx.ExecContext running the statement with
// t.tx.Exec directly (as it did: the tenant was dropped there, so a
// statement ent's sql/execquery feature runs in a transaction saw no
// tenant-owned row and every insert was refused by the policies).
func TestTenantEveryEntryPoint(t *testing.T) {
	ctx := ctxT(t)
	d := pgxdriver.New(dbtest.New(t, dbtest.Empty()).Pool(t))
	id := tenantctx.ID{0: 0x5e, 15: 0x77}
	tctx := tenantctx.With(ctx, id)
	const probe = "DO $$ BEGIN IF current_setting('app.tenant_id', true) IS DISTINCT FROM '%s' THEN RAISE 'no tenant'; END IF; END $$"
	check := "SELECT current_setting('app.tenant_id', true) IS NOT DISTINCT FROM $1"
	stmt := fmt.Sprintf(probe, id.String())
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	type execContexter interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}
	tests := []struct {
		name string
		run  func() error
	}{
		{"Driver.Exec", func() error { return d.Exec(tctx, stmt, []any{}, nil) }},
		{"Driver.ExecContext", func() error { _, err := d.ExecContext(tctx, stmt); return err }},
		{"Driver.Query", func() error { return wantTrue(tctx, d, check, id) }},
		{"Tx.Exec", func() error { return tx.Exec(tctx, stmt, []any{}, nil) }},
		{"Tx.ExecContext", func() error { _, err := tx.(execContexter).ExecContext(tctx, stmt); return err }},
		{"Tx.Query", func() error { return wantTrue(tctx, tx, check, id) }},
	}
	for _, tt := range tests {
		// A savepoint per case: a failing case must not abort the transaction
		// for the cases after it.
		if err := tx.Exec(ctx, "SAVEPOINT probe", []any{}, nil); err != nil {
			t.Fatal(err)
		}
		if err := tt.run(); err != nil {
			t.Errorf("%s: the statement ran without the context's tenant: %v", tt.name, err)
		}
		if err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT probe", []any{}, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func wantTrue(ctx context.Context, d dialect.ExecQuerier, q string, id tenantctx.ID) error {
	var ok bool
	if err := query(ctx, d, q, []any{id.String()}, &ok); err != nil {
		return err
	}
	if !ok {
		return errors.New("no tenant")
	}
	return nil
}
