package sqllog

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/central/central/internal/reqid"
)

type fakeResult struct{}

func (fakeResult) LastInsertId() (int64, error) { return 0, nil }
func (fakeResult) RowsAffected() (int64, error) { return 1, nil }

// TestNoAllocsWhenDebugOff checks the logging path itself: with debug off and
// a fast statement, recording it allocates nothing (the histogram included).
func TestNoAllocsWhenDebugOff(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	l := &statementLogger{log: zap.New(core).Named("sql"), slow: time.Hour, maxArg: DefaultMaxArgLen}
	l.obs = NewHistogram().WithLabelValues(RolePrimary)
	ctx := reqid.NewContext(context.Background(), "req")
	args := []any{1, "x", time.Now()}
	var res sql.Result = fakeResult{}
	allocs := testing.AllocsPerRun(1000, func() {
		l.statement(ctx, 7, opExec, "INSERT INTO t VALUES ($1, $2, $3)", args, &res, time.Now(), nil)
		l.event(ctx, 7, opCommit, time.Now(), nil)
	})
	if allocs != 0 {
		t.Errorf("allocs per statement with debug off = %v, want 0", allocs)
	}
	if logs.Len() != 0 {
		t.Errorf("logged %d entries with debug off", logs.Len())
	}
}
