package pgxdriver_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/pgxdriver"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// drivers returns the driver under test and ent's database/sql driver on the
// same database: what ent's generated code sees must not differ.
func drivers(t *testing.T) (*pgxdriver.Driver, *entsql.Driver, *pgxpool.Pool) {
	t.Helper()
	tdb := dbtest.New(t, dbtest.Empty())
	pool := tdb.Pool(t)
	return pgxdriver.New(pool), entsql.OpenDB(dialect.Postgres, tdb.OpenDB(t)), pool
}

func query(ctx context.Context, d dialect.ExecQuerier, q string, args []any, dest ...any) error {
	var rows entsql.Rows
	if err := d.Query(ctx, q, args, &rows); err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// TestScanLikeDatabaseSQL scans every column type the schema uses, NULL and
// not, into the targets ent generates, through both drivers, and compares.
// Each fast path of Rows.Scan (NullString, NullTime, ...) is covered: a fast
// path that reads the wrong field, drops NULL or mistakes the column type
// differs from database/sql here.
func TestScanLikeDatabaseSQL(t *testing.T) {
	ctx := ctxT(t)
	pd, sd, pool := drivers(t)
	if _, err := pool.Exec(ctx, `CREATE TYPE mood AS ENUM ('ok', 'sad')`); err != nil {
		t.Fatal(err)
	}
	id := entityid.NewTenantID()
	tests := []struct {
		name   string
		expr   string // a SELECT list of one column; $1 is id
		target func() any
	}{
		{"text", `'héllo'::text`, func() any { return new(sql.NullString) }},
		{"varchar", `'v'::varchar`, func() any { return new(sql.NullString) }},
		{"bpchar", `'c'::char(3)`, func() any { return new(sql.NullString) }},
		{"name", `'n'::name`, func() any { return new(sql.NullString) }},
		{"null text", `NULL::text`, func() any { return new(sql.NullString) }},
		{"enum", `'sad'::mood`, func() any { return new(sql.NullString) }},
		{"null enum", `NULL::mood`, func() any { return new(sql.NullString) }},
		{"int into NullString", `42::int8`, func() any { return new(sql.NullString) }},
		{"timestamptz", `'2026-01-02 03:04:05.123456+02'::timestamptz`, func() any { return new(sql.NullTime) }},
		{"timestamp", `'2026-01-02 03:04:05.123456'::timestamp`, func() any { return new(sql.NullTime) }},
		{"null timestamptz", `NULL::timestamptz`, func() any { return new(sql.NullTime) }},
		{"date", `'2026-01-02'::date`, func() any { return new(sql.NullTime) }},
		{"int8", `9007199254740993::int8`, func() any { return new(sql.NullInt64) }},
		{"int4", `-7::int4`, func() any { return new(sql.NullInt64) }},
		{"int2", `7::int2`, func() any { return new(sql.NullInt64) }},
		{"null int8", `NULL::int8`, func() any { return new(sql.NullInt64) }},
		{"bool", `true`, func() any { return new(sql.NullBool) }},
		{"null bool", `NULL::bool`, func() any { return new(sql.NullBool) }},
		{"float8", `1.5::float8`, func() any { return new(sql.NullFloat64) }},
		{"float4", `0.25::float4`, func() any { return new(sql.NullFloat64) }},
		{"null float8", `NULL::float8`, func() any { return new(sql.NullFloat64) }},
		{"numeric into NullFloat64", `2.5::numeric`, func() any { return new(sql.NullFloat64) }},
		{"jsonb", `'{"a": [1, 2]}'::jsonb`, func() any { return new([]byte) }},
		{"null jsonb", `NULL::jsonb`, func() any { return new([]byte) }},
		{"bytea", `'\x00ff'::bytea`, func() any { return new([]byte) }},
		{"uuid into ID", `$1::uuid`, func() any { return new(entityid.TenantID) }},
		{"uuid into NullScanner", `$1::uuid`, func() any { return &entsql.NullScanner{S: new(entityid.TenantID)} }},
		{"null uuid into NullScanner", `NULL::uuid`, func() any { return &entsql.NullScanner{S: new(entityid.TenantID)} }},
		{"int8 into int", `5::int8`, func() any { return new(int) }},
		{"text into string", `'s'`, func() any { return new(string) }},
		{"text into any", `'s'::text`, func() any { return new(any) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := "SELECT " + tt.expr
			var args []any
			if tt.expr == "$1::uuid" {
				args = []any{id}
			}
			want, got := tt.target(), tt.target()
			werr := query(ctx, sd, q, args, want)
			gerr := query(ctx, pd, q, args, got)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("database/sql err = %v, pgxdriver err = %v", werr, gerr)
			}
			if werr != nil {
				return
			}
			if !equal(want, got) {
				t.Errorf("pgxdriver scanned %#v, database/sql %#v", deref(got), deref(want))
			}
		})
	}
}

func deref(v any) any { return reflect.ValueOf(v).Elem().Interface() }

// equal compares scanned values; times by instant and wall clock, since
// both drivers return the same instant but may differ in *time.Location.
func equal(a, b any) bool {
	if x, ok := a.(*sql.NullTime); ok {
		y := b.(*sql.NullTime)
		return x.Valid == y.Valid && x.Time.Equal(y.Time)
	}
	if x, ok := a.(*any); ok {
		return fmt.Sprint(*x) == fmt.Sprint(*b.(*any))
	}
	return reflect.DeepEqual(a, b)
}

func TestScanErrors(t *testing.T) {
	ctx := ctxT(t)
	pd, _, _ := drivers(t)
	tests := []struct {
		name string
		q    string
		dest []any
	}{
		{"infinity timestamptz", `SELECT 'infinity'::timestamptz`, []any{new(sql.NullTime)}},
		{"-infinity timestamp", `SELECT '-infinity'::timestamp`, []any{new(sql.NullTime)}},
		{"NULL into an ID", `SELECT NULL::uuid`, []any{new(entityid.TenantID)}},
		{"too few targets", `SELECT 1, 2`, []any{new(int)}},
		{"too many targets", `SELECT 1`, []any{new(int), new(int)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := query(ctx, pd, tt.q, nil, tt.dest...); err == nil {
				t.Fatalf("scan succeeded: %#v", deref(tt.dest[0]))
			}
		})
	}
}

func TestRowsMethods(t *testing.T) {
	ctx := ctxT(t)
	pd, _, _ := drivers(t)
	var rows entsql.Rows
	if err := pd.Query(ctx, `SELECT g AS n, 'x' || g AS s FROM generate_series(1, 3) g`, []any{}, &rows); err != nil {
		t.Fatal(err)
	}
	cols, err := rows.Columns()
	if err != nil || !reflect.DeepEqual(cols, []string{"n", "s"}) {
		t.Errorf("Columns = %v, %v", cols, err)
	}
	if _, err := rows.ColumnTypes(); err == nil {
		t.Error("ColumnTypes succeeded; it cannot build *sql.ColumnType")
	}
	// ent's fallback for unknown columns.
	if v, ok := entsql.ScanTypeOf(&rows, 0).(*any); !ok || v == nil {
		t.Errorf("ScanTypeOf = %T, want *any", entsql.ScanTypeOf(&rows, 0))
	}
	var got []string
	for rows.Next() {
		var n int64
		var s string
		if err := rows.Scan(&n, &s); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprint(n, s))
	}
	if rows.NextResultSet() {
		t.Error("NextResultSet = true")
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[1x1 2x2 3x3]" {
		t.Errorf("rows = %v", got)
	}

	// An error while rows stream surfaces in Err and Close, as with
	// database/sql and pgx's stdlib adapter.
	if err := pd.Query(ctx, `SELECT 1 / (g - 2) FROM generate_series(1, 3) g`, []any{}, &rows); err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
	}
	if rows.Err() == nil || rows.Close() == nil {
		t.Error("division by zero not reported by Err and Close")
	}
}

func TestExec(t *testing.T) {
	ctx := ctxT(t)
	pd, _, _ := drivers(t)
	if err := pd.Exec(ctx, `CREATE TABLE t (id int PRIMARY KEY, v text)`, []any{}, nil); err != nil {
		t.Fatal(err)
	}
	var res sql.Result
	if err := pd.Exec(ctx, `INSERT INTO t VALUES ($1, $2), ($3, $4)`, []any{1, "a", 2, "b"}, &res); err != nil {
		t.Fatal(err)
	}
	if n, err := res.RowsAffected(); n != 2 || err != nil {
		t.Errorf("RowsAffected = %d, %v; want 2", n, err)
	}
	if _, err := res.LastInsertId(); err == nil {
		t.Error("LastInsertId succeeded")
	}
	r, err := pd.ExecContext(ctx, `UPDATE t SET v = 'c' WHERE id > $1`, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := r.RowsAffected(); n != 2 {
		t.Errorf("ExecContext RowsAffected = %d, want 2", n)
	}
	for _, tt := range []struct {
		name    string
		args, v any
	}{
		{"args not a slice", "x", nil},
		{"exec destination", []any{}, new(int)},
	} {
		if err := pd.Exec(ctx, `SELECT 1`, tt.args, tt.v); err == nil {
			t.Errorf("%s: Exec accepted %T, %T", tt.name, tt.args, tt.v)
		}
	}
	if err := pd.Query(ctx, `SELECT 1`, []any{}, new(sql.Rows)); err == nil {
		t.Error("Query accepted a *sql.Rows destination")
	}
	if _, err := pd.QueryContext(ctx, `SELECT 1`); !errors.Is(err, pgxdriver.ErrNoQueryContext) {
		t.Errorf("QueryContext without a database/sql view: %v", err)
	}
}

func TestTx(t *testing.T) {
	ctx := ctxT(t)
	pd, _, pool := drivers(t)
	if _, err := pool.Exec(ctx, `CREATE TABLE t (id int PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	tx, err := pd.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		t.Fatal(err)
	}
	var iso, ro string
	if err := query(ctx, tx, `SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')`, []any{}, &iso, &ro); err != nil {
		t.Fatal(err)
	}
	if iso != "serializable" || ro != "off" {
		t.Errorf("isolation %s, read only %s", iso, ro)
	}
	if err := tx.Exec(ctx, `INSERT INTO t VALUES (1)`, []any{}, nil); err != nil {
		t.Fatal(err)
	}
	// The transaction's connection sees its own write; COPY goes through it.
	conn := tx.(*pgxdriver.Tx).Conn()
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"t"}, []string{"id"}, pgx.CopyFromRows([][]any{{2}, {3}})); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Errorf("uncommitted rows visible outside: %d", n)
	}
	if _, err := tx.(*pgxdriver.Tx).QueryContext(ctx, `SELECT 1`); !errors.Is(err, pgxdriver.ErrNoQueryContext) {
		t.Errorf("QueryContext in a transaction: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 3 {
		t.Errorf("after commit %d rows, want 3", n)
	}
	if err := tx.Rollback(); !errors.Is(err, sql.ErrTxDone) || !errors.Is(err, pgx.ErrTxClosed) {
		t.Errorf("Rollback after Commit: %v, want sql.ErrTxDone and pgx.ErrTxClosed", err)
	}
	if n := pool.Stat().AcquiredConns(); n != 0 {
		t.Errorf("%d connections still acquired after the transaction", n)
	}

	// Rollback discards; read-only refuses writes.
	tx, err = pd.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Exec(ctx, `INSERT INTO t VALUES (4)`, []any{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 3 {
		t.Errorf("after rollback %d rows, want 3", n)
	}
	tx, err = pd.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Exec(ctx, `INSERT INTO t VALUES (5)`, []any{}, nil); err == nil {
		t.Error("insert in a read-only transaction succeeded")
	}
	_ = tx.Rollback()

	for _, level := range []sql.IsolationLevel{sql.LevelSnapshot, sql.LevelLinearizable, sql.LevelWriteCommitted} {
		if tx, err := pd.BeginTx(ctx, &sql.TxOptions{Isolation: level}); err == nil {
			_ = tx.Rollback()
			t.Errorf("isolation %v accepted", level)
		}
	}
}

func TestNewPanicsOnNilPool(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New(nil) did not panic")
		}
	}()
	pgxdriver.New(nil)
}
