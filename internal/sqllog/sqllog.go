package sqllog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/central/central/internal/reqid"
	"github.com/central/central/internal/tracing"
)

// Roles used by the database module; any non-empty string is accepted.
const (
	RolePrimary  = "primary"
	RoleReadOnly = "readonly"
	RoleReplica  = "replica"
)

// Defaults of the bounds on what one entry may hold.
const (
	// DefaultMaxArgLen is the default length at which logged string arguments are cut.
	DefaultMaxArgLen = 256
	// DefaultMaxStatementLen is the default length at which logged statements are cut.
	DefaultMaxStatementLen = 2048
	// DefaultMaxArgs is the default number of arguments logged per statement.
	DefaultMaxArgs = 32
)

// Options configures Wrap.
type Options struct {
	// Role names the connection in every entry (field "role") and labels the
	// histogram: primary, readonly, replica. Required.
	Role string
	// SlowThreshold logs statements that take longer at warn level, whatever
	// the logger's level. Zero disables the warning.
	SlowThreshold time.Duration
	// Histogram, when set, observes every statement's duration in seconds
	// under the label "role" (see NewHistogram).
	Histogram *prometheus.HistogramVec
	// MaxArgLen cuts longer string and byte arguments in the log (default
	// DefaultMaxArgLen).
	MaxArgLen int
	// MaxStatementLen cuts longer statements in the log, after their
	// shape is taken at warn level (default DefaultMaxStatementLen).
	MaxStatementLen int
	// MaxArgs is the most arguments logged per statement; the rest are
	// counted (default DefaultMaxArgs).
	MaxArgs int
}

// Redactor is implemented by argument types that must not appear in logs;
// the SQL log shows RedactedLogValue instead of the value.
type Redactor interface {
	RedactedLogValue() string
}

// NewHistogram returns an unregistered query-duration histogram with the
// single label "role", suitable for Options.Histogram.
func NewHistogram() *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "central",
		Subsystem: "db",
		Name:      "query_duration_seconds",
		Help:      "Duration of SQL statements, commits and rollbacks, by connection role.",
		Buckets:   []float64{.0002, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"role"})
}

// Driver is a dialect.Driver that logs and times every statement of the
// driver it wraps.
type Driver struct {
	drv   dialect.Driver
	l     *statementLogger
	txSeq atomic.Uint64
}

var (
	_ dialect.Driver = (*Driver)(nil)
	_ dialect.Tx     = (*Tx)(nil)
)

// Wrap returns drv with SQL logging and timing. The logger is named "sql" and
// carries the role field. Wrap panics on a nil driver or logger, an empty
// role, or a histogram whose labels are not exactly ("role"): these are
// programming errors found at start.
func Wrap(drv dialect.Driver, logger *zap.Logger, opts Options) *Driver {
	switch {
	case drv == nil:
		panic("sqllog: Wrap: nil driver")
	case logger == nil:
		panic("sqllog: Wrap: nil logger; pass zap.NewNop() to disable logging")
	case opts.Role == "":
		panic("sqllog: Wrap: empty Options.Role; use primary, readonly or replica")
	}
	l := &statementLogger{
		log:     logger.Named("sql").With(zap.String("role", opts.Role)),
		slow:    opts.SlowThreshold,
		maxArg:  opts.MaxArgLen,
		maxStmt: opts.MaxStatementLen,
		maxArgs: opts.MaxArgs,
	}
	if l.maxArg <= 0 {
		l.maxArg = DefaultMaxArgLen
	}
	if l.maxStmt <= 0 {
		l.maxStmt = DefaultMaxStatementLen
	}
	if l.maxArgs <= 0 {
		l.maxArgs = DefaultMaxArgs
	}
	if opts.Histogram != nil {
		obs, err := opts.Histogram.GetMetricWithLabelValues(opts.Role)
		if err != nil {
			panic(fmt.Sprintf("sqllog: Wrap: histogram must have the single label \"role\" (see NewHistogram): %v", err))
		}
		l.obs = obs
	}
	return &Driver{drv: drv, l: l}
}

// Unwrap returns the wrapped driver.
func (d *Driver) Unwrap() dialect.Driver { return d.drv }

// Dialect implements dialect.Driver.
func (d *Driver) Dialect() string { return d.drv.Dialect() }

// Close implements dialect.Driver by closing the wrapped driver.
func (d *Driver) Close() error { return d.drv.Close() }

// Exec implements dialect.Driver.
func (d *Driver) Exec(ctx context.Context, query string, args, v any) error {
	start := time.Now()
	err := d.drv.Exec(ctx, query, args, v)
	d.l.statement(ctx, 0, opExec, query, args, v, start, err)
	return err
}

// Query implements dialect.Driver.
func (d *Driver) Query(ctx context.Context, query string, args, v any) error {
	start := time.Now()
	err := d.drv.Query(ctx, query, args, v)
	d.l.statement(ctx, 0, opQuery, query, args, nil, start, err)
	return err
}

// ExecContext is logged and passed to the wrapped driver when it has one
// (ent's sql/execquery feature).
func (d *Driver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ex, ok := d.drv.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, errors.New("sqllog: wrapped driver has no ExecContext")
	}
	start := time.Now()
	res, err := ex.ExecContext(ctx, query, args...)
	d.l.statement(ctx, 0, opExec, query, args, &res, start, err)
	return res, err
}

// QueryContext is logged and passed to the wrapped driver when it has one.
func (d *Driver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, ok := d.drv.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, errors.New("sqllog: wrapped driver has no QueryContext")
	}
	start := time.Now()
	rows, err := q.QueryContext(ctx, query, args...)
	d.l.statement(ctx, 0, opQuery, query, args, nil, start, err)
	return rows, err
}

// Tx implements dialect.Driver; it is BeginTx with default options.
func (d *Driver) Tx(ctx context.Context) (dialect.Tx, error) { return d.BeginTx(ctx, nil) }

// BeginTx starts a logged transaction. Generated ent clients call it for
// Client.BeginTx; opts may be nil.
func (d *Driver) BeginTx(ctx context.Context, opts *entsql.TxOptions) (dialect.Tx, error) {
	start := time.Now()
	var (
		tx  dialect.Tx
		err error
	)
	if b, ok := d.drv.(interface {
		BeginTx(context.Context, *entsql.TxOptions) (dialect.Tx, error)
	}); ok {
		tx, err = b.BeginTx(ctx, opts)
	} else if opts == nil {
		tx, err = d.drv.Tx(ctx)
	} else {
		err = errors.New("sqllog: wrapped driver cannot begin a transaction with options")
	}
	id := d.txSeq.Add(1)
	d.l.event(ctx, id, opBegin, start, err)
	if err != nil {
		return nil, err
	}
	return &Tx{tx: tx, l: d.l, ctx: ctx, id: id}, nil
}

// Tx is a logged transaction.
type Tx struct {
	tx  dialect.Tx
	l   *statementLogger
	ctx context.Context // the BeginTx context, for commit and rollback entries
	id  uint64
}

// Unwrap returns the wrapped transaction.
func (t *Tx) Unwrap() dialect.Tx { return t.tx }

// Exec implements dialect.Tx.
func (t *Tx) Exec(ctx context.Context, query string, args, v any) error {
	start := time.Now()
	err := t.tx.Exec(ctx, query, args, v)
	t.l.statement(ctx, t.id, opExec, query, args, v, start, err)
	return err
}

// Query implements dialect.Tx.
func (t *Tx) Query(ctx context.Context, query string, args, v any) error {
	start := time.Now()
	err := t.tx.Query(ctx, query, args, v)
	t.l.statement(ctx, t.id, opQuery, query, args, nil, start, err)
	return err
}

// ExecContext is logged and passed to the wrapped transaction when it has one.
func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ex, ok := t.tx.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, errors.New("sqllog: wrapped transaction has no ExecContext")
	}
	start := time.Now()
	res, err := ex.ExecContext(ctx, query, args...)
	t.l.statement(ctx, t.id, opExec, query, args, &res, start, err)
	return res, err
}

// QueryContext is logged and passed to the wrapped transaction when it has one.
func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, ok := t.tx.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, errors.New("sqllog: wrapped transaction has no QueryContext")
	}
	start := time.Now()
	rows, err := q.QueryContext(ctx, query, args...)
	t.l.statement(ctx, t.id, opQuery, query, args, nil, start, err)
	return rows, err
}

// Commit implements dialect.Tx.
func (t *Tx) Commit() error {
	start := time.Now()
	err := t.tx.Commit()
	t.l.event(t.ctx, t.id, opCommit, start, err)
	return err
}

// Rollback implements dialect.Tx.
func (t *Tx) Rollback() error {
	start := time.Now()
	err := t.tx.Rollback()
	t.l.event(t.ctx, t.id, opRollback, start, err)
	return err
}

const (
	opExec     = "exec"
	opQuery    = "query"
	opBegin    = "begin"
	opCommit   = "commit"
	opRollback = "rollback"
)

type statementLogger struct {
	log     *zap.Logger
	obs     prometheus.Observer
	slow    time.Duration
	maxArg  int
	maxStmt int
	maxArgs int
}

// level picks debug, or warn for a slow statement.
func (l *statementLogger) level(d time.Duration) (zapcore.Level, string) {
	if l.slow > 0 && d > l.slow {
		return zapcore.WarnLevel, "slow sql"
	}
	return zapcore.DebugLevel, "sql"
}

// statement records one statement. Nothing is allocated unless the entry is
// going to be written: Check comes before any field is built.
func (l *statementLogger) statement(ctx context.Context, tx uint64, op, query string, args, v any, start time.Time, err error) {
	d := time.Since(start)
	if l.obs != nil {
		l.obs.Observe(d.Seconds())
	}
	lvl, msg := l.level(d)
	ce := l.log.Check(lvl, msg)
	if ce == nil {
		return
	}
	fields := make([]zap.Field, 0, 9)
	argv, _ := args.([]any)
	if lvl >= zapcore.WarnLevel {
		// Warn and above may be shipped and kept far longer than debug
		// output: the statement's shape and size only, never a value.
		fields = append(fields, zap.String("op", op), zap.String("query", cut(Shape(query), l.maxStmt)),
			zap.Duration("duration", d), zap.Int("arg_count", len(argv)))
	} else {
		fields = append(fields, zap.String("op", op), zap.String("query", cut(query, l.maxStmt)), zap.Duration("duration", d))
	}
	if res, ok := v.(*sql.Result); ok && err == nil && res != nil && *res != nil {
		if n, rerr := (*res).RowsAffected(); rerr == nil {
			fields = append(fields, zap.Int64("rows", n))
		}
	}
	if len(argv) > 0 && lvl < zapcore.WarnLevel {
		fields = append(fields, zap.Array("args", argList{argv: argv, max: l.maxArg, count: l.maxArgs}))
	}
	fields = l.common(ctx, tx, fields, err)
	ce.Write(fields...)
}

// event records begin, commit and rollback.
func (l *statementLogger) event(ctx context.Context, tx uint64, op string, start time.Time, err error) {
	d := time.Since(start)
	if l.obs != nil && op != opBegin {
		l.obs.Observe(d.Seconds())
	}
	lvl, msg := l.level(d)
	ce := l.log.Check(lvl, msg)
	if ce == nil {
		return
	}
	fields := make([]zap.Field, 0, 6)
	fields = append(fields, zap.String("op", op), zap.Duration("duration", d))
	ce.Write(l.common(ctx, tx, fields, err)...)
}

func (l *statementLogger) common(ctx context.Context, tx uint64, fields []zap.Field, err error) []zap.Field {
	if tx != 0 {
		fields = append(fields, zap.Uint64("tx", tx))
	}
	if ctx != nil {
		if id, ok := reqid.FromContext(ctx); ok {
			fields = append(fields, zap.String("request_id", id))
		}
		if f := tracing.TraceID(ctx); f.Type != zapcore.SkipType {
			fields = append(fields, f)
		}
	}
	if err != nil {
		fields = append(fields, zap.Error(err))
	}
	return fields
}

// argList renders statement arguments, redacting Redactors and cutting long
// values.
type argList struct {
	argv  []any
	max   int // per argument
	count int // arguments
}

func (a argList) MarshalLogArray(enc zapcore.ArrayEncoder) error {
	for i, v := range a.argv {
		if i == a.count {
			enc.AppendString("…(" + strconv.Itoa(len(a.argv)-i) + " more)")
			break
		}
		appendArg(enc, v, a.max)
	}
	return nil
}

func appendArg(enc zapcore.ArrayEncoder, v any, max int) {
	switch v := v.(type) {
	case nil:
		enc.AppendString("NULL")
	case Redactor:
		enc.AppendString(v.RedactedLogValue())
	case string:
		enc.AppendString(cut(maskEmail(v), max))
	case []byte:
		if v == nil {
			enc.AppendString("NULL")
			return
		}
		enc.AppendString(cut(string(v), max))
	case bool:
		enc.AppendBool(v)
	case int:
		enc.AppendInt(v)
	case int8:
		enc.AppendInt8(v)
	case int16:
		enc.AppendInt16(v)
	case int32:
		enc.AppendInt32(v)
	case int64:
		enc.AppendInt64(v)
	case uint:
		enc.AppendUint(v)
	case uint8:
		enc.AppendUint8(v)
	case uint16:
		enc.AppendUint16(v)
	case uint32:
		enc.AppendUint32(v)
	case uint64:
		enc.AppendUint64(v)
	case float32:
		enc.AppendFloat32(v)
	case float64:
		enc.AppendFloat64(v)
	case time.Time:
		enc.AppendTime(v)
	case fmt.Stringer:
		enc.AppendString(cut(v.String(), max))
	default:
		enc.AppendString(cut(fmt.Sprintf("%v", v), max))
	}
}

func cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	n := max
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}
