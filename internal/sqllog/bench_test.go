package sqllog_test

import (
	"context"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/central/central/internal/sqllog"
)

// BenchmarkQuery compares one SELECT through the bare ent driver with the same
// statement through the logging wrapper with debug off (the production
// setting) and on (into a discarding core). allocs/op of "raw" and
// "debug-off" must match: the wrapper costs no allocation when debug is off.
func BenchmarkQuery(b *testing.B) {
	raw := entsql.OpenDB(dialect.Postgres, openDB(b))
	off := sqllog.Wrap(raw, zap.NewNop(), sqllog.Options{Role: sqllog.RolePrimary, Histogram: sqllog.NewHistogram()})
	debugCore := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(discard{}), zapcore.DebugLevel)
	on := sqllog.Wrap(raw, zap.New(debugCore), sqllog.Options{Role: sqllog.RolePrimary})
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		drv  dialect.Driver
	}{{"raw", raw}, {"debug-off", off}, {"debug-on", on}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			args := []any{int64(42), "x"}
			for b.Loop() {
				var rows entsql.Rows
				if err := bc.drv.Query(ctx, "SELECT $1::int8, $2::text", args, &rows); err != nil {
					b.Fatal(err)
				}
				rows.Close()
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
