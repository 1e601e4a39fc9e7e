package tracing

import (
	"context"
	"net/http"
	"strings"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/central/central/internal/tenantctx"
)

// ScopeName is the instrumentation scope of Central's own spans.
const ScopeName = "github.com/central/central"

// Attribute keys Central adds.
const (
	// PoolRoleKey is the pool a statement ran on: read-write, read-only,
	// replica-N or direct.
	PoolRoleKey = attribute.Key("db.pool.role")
	// RequestIDKey is the request's X-Request-ID (the client's or ours).
	RequestIDKey = attribute.Key("central.request_id")
	// AttemptKey numbers the attempts of a retried transaction from 1.
	AttemptKey = attribute.Key("db.transaction.attempt")
	// IsolationKey is a transaction's isolation level when not the default.
	IsolationKey = attribute.Key("db.transaction.isolation")
	// SeedKey is the seed a boot-step span applies.
	SeedKey = attribute.Key("central.seed")
)

// PgxTracer returns the pgx tracer for one pool: a span per statement
// (query, each statement of a batch, COPY; and connection set-up) under the
// span in the statement's context, with PoolRoleKey=role. A batch has no
// span of its own, and the tenant setting queued before a tenant statement
// has none either (see statementTracer.TraceBatchStart). Argument values are never
// recorded (otelpgx records them only with WithIncludeQueryParameters).
// Pool acquisitions and the statement cache's prepare step get no span of
// their own: the statement's span covers them, and a second span per
// statement would only be noise. It returns nil when tp is off, so that the
// pools carry no tracer at all. Its metrics go nowhere: Prometheus has the
// statement durations already.
func PgxTracer(tp trace.TracerProvider, role string) pgx.QueryTracer {
	if !Enabled(tp) {
		return nil
	}
	return statementTracer{otelpgx.NewTracer(
		otelpgx.WithTracerProvider(tp),
		otelpgx.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelpgx.WithTracerAttributes(PoolRoleKey.String(role)),
		otelpgx.WithDisableAcquireTracer(),
	)}
}

// statementTracer is otelpgx's tracer without pgx.PrepareTracer (pgx looks
// the optional tracer interfaces up with type assertions).
type statementTracer struct{ t *otelpgx.Tracer }

var (
	_ pgx.QueryTracer    = statementTracer{}
	_ pgx.BatchTracer    = statementTracer{}
	_ pgx.CopyFromTracer = statementTracer{}
	_ pgx.ConnectTracer  = statementTracer{}
)

func (s statementTracer) TraceQueryStart(ctx context.Context, c *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	return s.t.TraceQueryStart(ctx, c, d)
}

func (s statementTracer) TraceQueryEnd(ctx context.Context, c *pgx.Conn, d pgx.TraceQueryEndData) {
	s.t.TraceQueryEnd(ctx, c, d)
}

// batchKey is the context key of a batch's *batchSpans.
type batchKey struct{}

// batchSpans are the statement spans of one batch, in queue order, the
// tenant setting left out. pgx uses a batch's results from one goroutine at
// a time, so they need no lock.
type batchSpans struct {
	stmts []batchStmt
	next  int // stmts before next are all done
	ended bool
}

type batchStmt struct {
	ctx  context.Context // from otelpgx's TraceQueryStart: carries the span
	sql  string
	done bool
}

// TraceBatchStart starts the statements' spans. A batch gets no span of
// its own: each queued statement gets the span a plain statement gets
// (otelpgx's query span: same name, attributes, rows affected and error),
// as a child of the span in the batch's context (the
// transaction or the request), from the moment the batch is sent (all its
// statements go in one round trip) until its result has been read. The
// tenant setting that internal/pgxdriver queues before each tenant
// statement (tenantctx.SetSQL) is plumbing and gets no span: a tenant
// statement is one span, like any other statement. otelpgx's own batch
// tracing would instead give a "batch start" span with one instant child
// per statement, without rows affected, and the tenant setting among them.
func (s statementTracer) TraceBatchStart(ctx context.Context, c *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	if d.Batch == nil || !trace.SpanFromContext(ctx).IsRecording() {
		return ctx
	}
	b := &batchSpans{stmts: make([]batchStmt, 0, len(d.Batch.QueuedQueries))}
	for _, q := range d.Batch.QueuedQueries {
		if q.SQL == tenantctx.SetSQL {
			continue
		}
		b.stmts = append(b.stmts, batchStmt{
			ctx: s.t.TraceQueryStart(ctx, c, pgx.TraceQueryStartData{SQL: q.SQL, Args: q.Arguments}),
			sql: q.SQL,
		})
	}
	return context.WithValue(ctx, batchKey{}, b)
}

// TraceBatchQuery ends the span of the statement whose result pgx has just
// read: the first statement not yet done with that text (results come in
// queue order, except that rows read with Query are traced when closed).
func (s statementTracer) TraceBatchQuery(ctx context.Context, c *pgx.Conn, d pgx.TraceBatchQueryData) {
	b, _ := ctx.Value(batchKey{}).(*batchSpans)
	if b == nil {
		return
	}
	if d.SQL == tenantctx.SetSQL {
		// A failed setting fails the batch: TraceBatchEnd ends the
		// statement's span with that error.
		return
	}
	for i := b.next; i < len(b.stmts); i++ {
		st := &b.stmts[i]
		if st.done || st.sql != d.SQL {
			continue
		}
		st.done = true
		s.t.TraceQueryEnd(st.ctx, c, pgx.TraceQueryEndData{CommandTag: d.CommandTag, Err: d.Err})
		for b.next < len(b.stmts) && b.stmts[b.next].done {
			b.next++
		}
		return
	}
}

// TraceBatchEnd ends, when the batch failed, the spans of the statements
// whose results were never read (those after the failure, or the tenant
// statement whose setting failed) with the batch's error. When it did not
// fail, a statement not yet done is one read with Query whose rows are
// still open: closing them ends its span. pgx may call TraceBatchEnd twice
// for one batch that fails early; the second call does nothing.
func (s statementTracer) TraceBatchEnd(ctx context.Context, c *pgx.Conn, d pgx.TraceBatchEndData) {
	b, _ := ctx.Value(batchKey{}).(*batchSpans)
	if b == nil || b.ended {
		return
	}
	b.ended = true
	if d.Err == nil {
		return
	}
	for i := b.next; i < len(b.stmts); i++ {
		if st := &b.stmts[i]; !st.done {
			st.done = true
			s.t.TraceQueryEnd(st.ctx, c, pgx.TraceQueryEndData{Err: d.Err})
		}
	}
	b.next = len(b.stmts)
}

func (s statementTracer) TraceCopyFromStart(ctx context.Context, c *pgx.Conn, d pgx.TraceCopyFromStartData) context.Context {
	return s.t.TraceCopyFromStart(ctx, c, d)
}

func (s statementTracer) TraceCopyFromEnd(ctx context.Context, c *pgx.Conn, d pgx.TraceCopyFromEndData) {
	s.t.TraceCopyFromEnd(ctx, c, d)
}

func (s statementTracer) TraceConnectStart(ctx context.Context, d pgx.TraceConnectStartData) context.Context {
	return s.t.TraceConnectStart(ctx, d)
}

func (s statementTracer) TraceConnectEnd(ctx context.Context, d pgx.TraceConnectEndData) {
	s.t.TraceConnectEnd(ctx, d)
}

// Middleware returns the HTTP middleware: a server span per request
// (otelhttp), child of the caller's W3C traceparent when there is one.
// Name the span after the route with SetRoute once the route is known.
//
// With tracing off it is not otelhttp (whose attribute building costs a few
// microseconds per request even with the no-op provider) but a plain
// traceparent extraction: the caller's span context goes into the request
// context, so that the request's log lines carry the caller's trace id.
func Middleware(tp trace.TracerProvider) func(http.Handler) http.Handler {
	prop := propagation.TraceContext{}
	if !Enabled(tp) {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, ok := r.Header["Traceparent"]; ok {
					r = r.WithContext(prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header)))
				}
				next.ServeHTTP(w, r)
			})
		}
	}
	return otelhttp.NewMiddleware("http",
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithPropagators(prop),
	)
}

// SetRoute names the request's span after its route template, e.g.
// pattern "GET /v1/tenants/{tenant_id}" (a Go 1.22 ServeMux pattern), and
// sets http.route. Requests that match no route keep otelhttp's name (the
// method alone), which keeps span names few.
func SetRoute(r *http.Request, pattern string) {
	span := trace.SpanFromContext(r.Context())
	if pattern == "" || !span.IsRecording() {
		return
	}
	method, route, ok := strings.Cut(pattern, " ")
	if !ok {
		method, route = r.Method, pattern
	}
	// A pattern may carry a host ("GET example.com/x"); the route is the path.
	if i := strings.IndexByte(route, '/'); i > 0 {
		route = route[i:]
	}
	span.SetName(method + " " + route)
	span.SetAttributes(semconv.HTTPRoute(route))
}

// SetRequestID records the request id on the request's span.
func SetRequestID(ctx context.Context, id string) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(RequestIDKey.String(id))
	}
}

// TraceID is the zap field trace_id with the trace id of the span in ctx
// (recorded or only propagated from the caller), or a field that writes
// nothing when there is none.
func TraceID(ctx context.Context) zap.Field {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.HasTraceID() {
		return zap.Skip()
	}
	return zap.Stringer("trace_id", sc.TraceID())
}

// Start starts a span named name under the span in ctx, with the provider
// of that span: a no-op span when ctx carries none (tracing off, or a
// context from outside any traced request or boot step).
func Start(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, parent
	}
	return parent.TracerProvider().Tracer(ScopeName).Start(ctx, name, trace.WithAttributes(attrs...))
}

// StartRoot starts a span named name with tp, under the span in ctx if any:
// the boot steps' spans, which no request carries.
func StartRoot(ctx context.Context, tp trace.TracerProvider, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	if !Enabled(tp) {
		return ctx, trace.SpanFromContext(ctx)
	}
	return tp.Tracer(ScopeName).Start(ctx, name, trace.WithAttributes(attrs...))
}

// End ends span, marking it failed with err when err is not nil.
func End(span trace.Span, err error) {
	if err != nil && span.IsRecording() {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
