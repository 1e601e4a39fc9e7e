package sqllog_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/central/central/internal/reqid"
	"github.com/central/central/internal/sqllog"
)

// secretArg stands in for Sensitive[T]: a driver value that must not be logged.
type secretArg string

func (secretArg) RedactedLogValue() string { return "[sensitive]" }

type stringer struct{}

func (stringer) String() string { return "tenant_01j9" }

func newDriver(t *testing.T, level zapcore.Level, opts sqllog.Options) (*sqllog.Driver, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(level)
	if opts.Role == "" {
		opts.Role = sqllog.RolePrimary
	}
	return sqllog.Wrap(entsql.OpenDB(dialect.Postgres, openDB(t)), zap.New(core), opts), logs
}

func TestStatementFields(t *testing.T) {
	drv, logs := newDriver(t, zapcore.DebugLevel, sqllog.Options{Role: sqllog.RoleReadOnly, MaxArgLen: 8})
	ctx := reqid.NewContext(context.Background(), "req-42")
	if err := drv.Exec(ctx, "CREATE TEMP TABLE t (id int, secret text, note text)", []any{}, nil); err != nil {
		t.Fatal(err)
	}
	var res sql.Result
	args := []any{1, secretArg("hunter2"), "a long note to cut", 2, secretArg("hunter3"), nil}
	if err := drv.Exec(ctx, "INSERT INTO t VALUES ($1, $2, $3), ($4, $5, $6)", args, &res); err != nil {
		t.Fatal(err)
	}
	var rows entsql.Rows
	if err := drv.Query(context.Background(), "SELECT id FROM t WHERE note = $1 OR $2 = 'x'", []any{"x", stringer{}}, &rows); err != nil {
		t.Fatal(err)
	}
	rows.Close()

	entries := logs.All()
	if len(entries) != 3 {
		t.Fatalf("got %d entries, want 3", len(entries))
	}
	insert := entries[1]
	if insert.Level != zapcore.DebugLevel || insert.Message != "sql" || insert.LoggerName != "sql" {
		t.Errorf("entry %v %q %q", insert.Level, insert.Message, insert.LoggerName)
	}
	f := insert.ContextMap()
	want := map[string]any{
		"role": "readonly", "op": "exec", "request_id": "req-42", "rows": int64(2),
		"query": "INSERT INTO t VALUES ($1, $2, $3), ($4, $5, $6)",
		"args":  []any{int64(1), "[sensitive]", "a long n…(18 bytes)", int64(2), "[sensitive]", "NULL"},
	}
	for k, v := range want {
		if fmt.Sprint(f[k]) != fmt.Sprint(v) {
			t.Errorf("field %s = %v, want %v", k, f[k], v)
		}
	}
	if _, ok := f["duration"].(time.Duration); !ok {
		t.Errorf("duration field missing: %v", f)
	}
	if strings.Contains(fmt.Sprint(f), "hunter") {
		t.Errorf("secret leaked: %v", f)
	}
	q := entries[2].ContextMap()
	if q["op"] != "query" || fmt.Sprint(q["args"]) != "[x tenant_0…(11 bytes)]" || q["request_id"] != nil || q["rows"] != nil {
		t.Errorf("query entry %v", q)
	}
}

func TestTransactionLogged(t *testing.T) {
	drv, logs := newDriver(t, zapcore.DebugLevel, sqllog.Options{})
	ctx := reqid.NewContext(context.Background(), "req-tx")
	for _, commit := range []bool{true, false} {
		tx, err := drv.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Exec(ctx, "SELECT 1", []any{}, nil); err != nil {
			t.Fatal(err)
		}
		if commit {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, e := range logs.All() {
		m := e.ContextMap()
		got = append(got, fmt.Sprintf("%v/%v/%v", m["op"], m["tx"], m["request_id"]))
	}
	want := "begin/1/req-tx exec/1/req-tx commit/1/req-tx begin/2/req-tx exec/2/req-tx rollback/2/req-tx"
	if strings.Join(got, " ") != want {
		t.Errorf("got %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestLevels(t *testing.T) {
	tests := []struct {
		name    string
		level   zapcore.Level
		slow    time.Duration
		query   string
		want    int
		wantMsg string
		wantLvl zapcore.Level
	}{
		{"debug off, fast", zapcore.InfoLevel, time.Hour, "SELECT 1", 0, "", 0},
		{"debug off, slow", zapcore.InfoLevel, time.Millisecond, "SELECT pg_sleep(0.01)", 1, "slow sql", zapcore.WarnLevel},
		{"slow disabled", zapcore.InfoLevel, 0, "SELECT pg_sleep(0.01)", 0, "", 0},
		{"debug on, fast", zapcore.DebugLevel, time.Hour, "SELECT 1", 1, "sql", zapcore.DebugLevel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			drv, logs := newDriver(t, tt.level, sqllog.Options{SlowThreshold: tt.slow})
			var rows entsql.Rows
			if err := drv.Query(context.Background(), tt.query, []any{}, &rows); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if logs.Len() != tt.want {
				t.Fatalf("got %d entries, want %d", logs.Len(), tt.want)
			}
			if tt.want == 1 && (logs.All()[0].Message != tt.wantMsg || logs.All()[0].Level != tt.wantLvl) {
				t.Errorf("entry %v %q", logs.All()[0].Level, logs.All()[0].Message)
			}
		})
	}
}

func TestErrorLogged(t *testing.T) {
	drv, logs := newDriver(t, zapcore.DebugLevel, sqllog.Options{})
	err := drv.Exec(context.Background(), "SELECT * FROM no_such_table", []any{}, nil)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42P01" {
		t.Fatalf("want 42P01 through the wrapper, got %v", err)
	}
	if m := logs.All()[0].ContextMap(); !strings.Contains(fmt.Sprint(m["error"]), "no_such_table") {
		t.Errorf("error field %v", m)
	}
}

func TestHistogram(t *testing.T) {
	h := sqllog.NewHistogram()
	drv, _ := newDriver(t, zapcore.InfoLevel, sqllog.Options{Role: sqllog.RoleReplica, Histogram: h})
	for range 3 {
		if err := drv.Exec(context.Background(), "SELECT 1", []any{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := drv.Tx(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(h, "central_db_query_duration_seconds"); n != 1 {
		t.Fatalf("series = %d, want 1 (role=replica)", n)
	}
	if got := histogramCount(t, h, sqllog.RoleReplica); got != 4 {
		t.Errorf("observations = %d, want 4 (3 statements + 1 commit)", got)
	}
}

func TestWrapRejectsMisuse(t *testing.T) {
	base := entsql.OpenDB(dialect.Postgres, openDB(t))
	tests := []struct {
		name string
		fn   func()
		want string
	}{
		{"nil driver", func() { sqllog.Wrap(nil, zap.NewNop(), sqllog.Options{Role: "primary"}) }, "nil driver"},
		{"nil logger", func() { sqllog.Wrap(base, nil, sqllog.Options{Role: "primary"}) }, "nil logger"},
		{"no role", func() { sqllog.Wrap(base, zap.NewNop(), sqllog.Options{}) }, "empty Options.Role"},
		{"bad histogram", func() {
			sqllog.Wrap(base, zap.NewNop(), sqllog.Options{Role: "primary", Histogram: prometheusVec("kind", "role")})
		}, "single label"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), tt.want) {
					t.Errorf("panic %v, want %q", r, tt.want)
				}
			}()
			tt.fn()
		})
	}
}
