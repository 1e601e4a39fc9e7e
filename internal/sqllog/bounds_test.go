package sqllog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"go.uber.org/zap/zapcore"

	"github.com/central/central/internal/reqid"
	"github.com/central/central/internal/sqllog"
)

// bulkInsert runs one INSERT of n rows (email, value) through drv, the
// shape of a user created with n tags.
func bulkInsert(t *testing.T, drv *sqllog.Driver, n int) {
	t.Helper()
	ctx := reqid.NewContext(context.Background(), "req-bulk")
	if err := drv.Exec(ctx, "CREATE TEMP TABLE tags (email text, value text)", []any{}, nil); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("INSERT INTO tags (email, value) VALUES ")
	args := make([]any, 0, 2*n)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "($%d, $%d)", 2*i+1, 2*i+2)
		args = append(args, fmt.Sprintf("person%d@example.test", i), strings.Repeat("v", 1000))
	}
	var rows entsql.Rows
	if err := drv.Query(ctx, b.String(), args, &rows); err != nil {
		t.Fatal(err)
	}
	rows.Close()
}

// TestSlowStatementLogsNoValues: at info, a slow bulk insert is logged at
// warn with its shape, duration, argument count and request id, and no
// argument value. Deliberate bug: logging args (or the raw statement) at
// warn, as before (a 2 MB line with every email and tag value).
func TestSlowStatementLogsNoValues(t *testing.T) {
	drv, logs := newDriver(t, zapcore.InfoLevel, sqllog.Options{SlowThreshold: time.Nanosecond}) // every statement is slow
	bulkInsert(t, drv, 2000)
	var slow int
	for _, e := range logs.All() {
		if e.Level < zapcore.WarnLevel || !strings.HasPrefix(fmt.Sprint(e.ContextMap()["query"]), "INSERT") {
			continue
		}
		slow++
		line, _ := json.Marshal(e.ContextMap())
		if len(line) > 4096 {
			t.Errorf("warn entry is %d bytes: %.300s", len(line), line)
		}
		for _, leak := range []string{"@example.test", "vvvv", "person1"} {
			if strings.Contains(string(line), leak) {
				t.Errorf("warn entry holds an argument value (%s): %.300s", leak, line)
			}
		}
		m := e.ContextMap()
		if m["request_id"] != "req-bulk" || m["arg_count"] != int64(4000) || !strings.Contains(fmt.Sprint(m["query"]), "…(2000 rows)") {
			t.Errorf("warn entry lacks shape, count or request id: %v", m["query"])
		}
	}
	if slow == 0 {
		t.Fatal("no slow-statement entry")
	}
}

// TestDebugEntriesAreBounded: at debug, the same statement is logged with
// a bounded statement and a bounded number of arguments, each cut, and
// emails masked. Deliberate bugs: no MaxArgs (6.9 MB lines), no statement
// cut, maskEmail removed.
func TestDebugEntriesAreBounded(t *testing.T) {
	drv, logs := newDriver(t, zapcore.DebugLevel, sqllog.Options{})
	bulkInsert(t, drv, 2000)
	for _, e := range logs.All() {
		line, _ := json.Marshal(e.ContextMap())
		if len(line) > 16<<10 {
			t.Errorf("debug entry is %d bytes", len(line))
		}
		if strings.Contains(string(line), "person1@example.test") || strings.Contains(string(line), "person0@") {
			t.Errorf("debug entry holds an unmasked email: %.400s", line)
		}
	}
	last := logs.All()[logs.Len()-1].ContextMap()
	if !strings.Contains(fmt.Sprint(last["args"]), "p***@***.test") || !strings.Contains(fmt.Sprint(last["args"]), "(3968 more)") {
		t.Errorf("args %.300v", last["args"])
	}
}

func ExampleShape() {
	fmt.Println(sqllog.Shape(`INSERT INTO "user_tags" ("key", "value") VALUES ($1, $2), ($3, $4), ($5, $6)`))
	fmt.Println(sqllog.Shape(`SELECT * FROM "users" WHERE "id" IN ($1, $2, $3, $4, $5, $6)`))
	// Output:
	// INSERT INTO "user_tags" ("key", "value") VALUES ($1, $2), …(3 rows)
	// SELECT * FROM "users" WHERE "id" IN ($1, …, $6 (6 values))
}
