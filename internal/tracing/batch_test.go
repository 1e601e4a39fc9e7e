package tracing_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/tenantctx"
	"github.com/central/central/internal/tracing"
)

// wantStmt is the span one statement of a batch should have.
type wantStmt struct {
	name    string // otelpgx's span name: the SQL operation
	query   string // db.query.text
	rows    int64  // pgx.rows_affected, when the statement succeeded
	sqlCode string // pgx.sql_state, when it failed
}

// TestBatchStatementSpans: a pgx batch gets one span per statement, each
// like a plain statement's span (name, query text, rows affected or the
// error) and a child of the span in the batch's context, with no span for
// the batch itself nor for the tenant setting queued before a tenant
// statement, in both the statement-cache mode and the exec mode used
// behind PgBouncer. Deliberate bugs it catches: passing batches through to
// otelpgx (a "batch start" span, the tenant setting's span, no rows
// affected), tracing the tenant setting, parenting a statement under
// anything but the caller's span, and a failed tenant setting that leaves
// its statement's span unended or without the error.
func TestBatchStatementSpans(t *testing.T) {
	tdb := dbtest.New(t, dbtest.Empty())
	tenant := tenantctx.ID{0: 0x01, 15: 0x2a}

	const (
		insert   = "INSERT INTO items SELECT x FROM generate_series(1, $1) x"
		selectQ  = "SELECT x FROM generate_series(1, $1) x WHERE current_setting('" + tenantctx.Setting + "') = $2"
		insert2  = "INSERT INTO items SELECT x FROM generate_series(101, 100 + $1) x"
		deleteQ  = "DELETE FROM items WHERE n > $1"
		countAll = "SELECT count(*) FROM items"
	)
	tests := []struct {
		name string
		run  func(ctx context.Context, conn *pgx.Conn) error
		want []wantStmt
	}{
		{
			name: "tenant exec",
			run: func(ctx context.Context, conn *pgx.Conn) error {
				b := &pgx.Batch{}
				b.Queue(tenantctx.SetSQL, tenant.String())
				b.Queue(insert, 3)
				return conn.SendBatch(ctx, b).Close()
			},
			want: []wantStmt{{name: "INSERT", query: insert, rows: 3}},
		},
		{
			name: "tenant query, rows read",
			run: func(ctx context.Context, conn *pgx.Conn) error {
				b := &pgx.Batch{}
				b.Queue(tenantctx.SetSQL, tenant.String())
				b.Queue(selectQ, 4, tenant.String())
				br := conn.SendBatch(ctx, b)
				if _, err := br.Exec(); err != nil {
					_ = br.Close()
					return err
				}
				rows, err := br.Query()
				if err != nil {
					_ = br.Close()
					return err
				}
				n := 0
				for rows.Next() {
					n++
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					_ = br.Close()
					return err
				}
				if n != 4 {
					t.Errorf("read %d rows under the tenant, want 4", n)
				}
				return br.Close()
			},
			want: []wantStmt{{name: "SELECT", query: selectQ, rows: 4}},
		},
		{
			name: "plain batch, one span per statement",
			run: func(ctx context.Context, conn *pgx.Conn) error {
				b := &pgx.Batch{}
				b.Queue(insert2, 5)
				b.Queue(deleteQ, 102)
				b.Queue(countAll)
				return conn.SendBatch(ctx, b).Close()
			},
			want: []wantStmt{
				{name: "INSERT", query: insert2, rows: 5},
				{name: "DELETE", query: deleteQ, rows: 3},
				{name: "SELECT", query: countAll, rows: 1},
			},
		},
		{
			// PostgreSQL refuses a NUL byte in text: the setting fails, its
			// statement never runs, and the statement's span says why.
			name: "tenant setting fails",
			run: func(ctx context.Context, conn *pgx.Conn) error {
				b := &pgx.Batch{}
				b.Queue(tenantctx.SetSQL, "bad\x00tenant")
				b.Queue(insert, 1)
				br := conn.SendBatch(ctx, b)
				_, err := br.Exec()
				_ = br.Close()
				var pgErr *pgconn.PgError
				if !errors.As(err, &pgErr) || pgErr.Code != "22021" {
					t.Errorf("tenant setting with a NUL byte: err = %v, want SQLSTATE 22021", err)
				}
				return nil
			},
			want: []wantStmt{{name: "INSERT", query: insert, sqlCode: "22021"}},
		},
	}

	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec} {
		t.Run(mode.String(), func(t *testing.T) {
			exp := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
			t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			cfg, err := pgx.ParseConfig(tdb.URL)
			if err != nil {
				t.Fatal(err)
			}
			cfg.DefaultQueryExecMode = mode
			cfg.Tracer = tracing.PgxTracer(tp, "direct")
			ctx := context.Background()
			conn, err := pgx.ConnectConfig(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = conn.Close(context.Background()) })
			// Outside any span: no statement span.
			if _, err := conn.Exec(ctx, "CREATE TEMP TABLE items (n int)"); err != nil {
				t.Fatal(err)
			}
			if n := len(exp.GetSpans()); n != 0 {
				t.Fatalf("%d spans for statements run outside any span", n)
			}

			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					exp.Reset()
					rctx, root := tp.Tracer("test").Start(ctx, "request")
					if err := tt.run(rctx, conn); err != nil {
						t.Fatal(err)
					}
					root.End()
					checkBatchSpans(t, exp.GetSpans(), root.SpanContext().SpanID().String(), tt.want)
				})
			}
		})
	}
}

func checkBatchSpans(t *testing.T, spans tracetest.SpanStubs, parent string, want []wantStmt) {
	t.Helper()
	checkNoPlumbing(t, spans)
	stmts := statementSpans(spans)
	if len(stmts) != len(want) {
		t.Fatalf("want %d statement spans, got %d: %v", len(want), len(stmts), names(stmts))
	}
	for i, w := range want {
		st := stmts[i]
		q, _ := attr(st, "db.query.text")
		if st.Name != w.name || q.AsString() != w.query {
			t.Errorf("span %d: %q (%q), want %q (%q)", i, st.Name, q.AsString(), w.name, w.query)
		}
		if got := st.Parent.SpanID().String(); got != parent {
			t.Errorf("%q: parent %s, want the caller's span %s", st.Name, got, parent)
		}
		if v, _ := attr(st, tracing.PoolRoleKey); v.AsString() != "direct" {
			t.Errorf("%q: %s = %q, want direct", st.Name, tracing.PoolRoleKey, v.AsString())
		}
		if v, _ := attr(st, "db.system.name"); v.AsString() != "postgresql" {
			t.Errorf("%q: db.system.name = %q", st.Name, v.AsString())
		}
		if st.EndTime.IsZero() || st.EndTime.Before(st.StartTime) {
			t.Errorf("%q: start %v, end %v", st.Name, st.StartTime, st.EndTime)
		}
		rows, hasRows := attr(st, "pgx.rows_affected")
		code, _ := attr(st, "pgx.sql_state")
		if w.sqlCode == "" {
			if !hasRows || rows.AsInt64() != w.rows || st.Status.Code == codes.Error {
				t.Errorf("%q: pgx.rows_affected = %v (set %v), status %v; want %d and no error",
					st.Name, rows.Emit(), hasRows, st.Status, w.rows)
			}
			continue
		}
		if st.Status.Code != codes.Error || code.AsString() != w.sqlCode {
			t.Errorf("%q: status %v, pgx.sql_state %q; want an error with %s", st.Name, st.Status, code.AsString(), w.sqlCode)
		}
	}
}

// checkNoPlumbing: no span for a batch as such, none for the tenant
// setting queued before a tenant statement.
func checkNoPlumbing(t *testing.T, spans tracetest.SpanStubs) {
	t.Helper()
	for _, sp := range spans {
		_, batch := attr(sp, "db.operation.batch.size")
		q, _ := attr(sp, "db.query.text")
		if batch || strings.HasPrefix(sp.Name, "batch") || strings.Contains(q.AsString(), "set_config") {
			t.Errorf("span %q (%q) is batch plumbing, not a statement", sp.Name, q.AsString())
		}
	}
}
