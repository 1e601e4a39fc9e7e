package tracing_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/httpapi"
	"github.com/central/central/internal/sensitive/keyring"
	"github.com/central/central/internal/service"
	"github.com/central/central/internal/tracing"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// stack is the API behind the tracing middleware, on a fresh database whose
// pools carry the pgx tracer, as internal/app wires them.
type stack struct {
	url  string
	exp  *tracetest.InMemoryExporter
	logs *observer.ObservedLogs
}

func newStack(t *testing.T, tp trace.TracerProvider) *stack {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	h := newHandler(t, pgConfig(dbtest.New(t)), zap.New(core), tp)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &stack{url: srv.URL, logs: logs}
}

// newHandler is the API on tdb, wired as internal/app does: with tp nil,
// without any tracing code at all (no middleware, no pool tracer).
func pgConfig(tdb *dbtest.DB) config.Postgres {
	return config.Postgres{
		ReadWrite: config.Conn{URL: config.Secret(tdb.URL), PoolSize: 4, AppName: "test_rw"},
		ReadOnly:  config.Conn{URL: config.Secret(tdb.ReadOnlyURL), PoolSize: 4, AppName: "test_ro"},
	}
}

func newHandler(tb testing.TB, pg config.Postgres, logger *zap.Logger, tp trace.TracerProvider) http.Handler {
	tb.Helper()
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	var popts []db.PoolsOption
	if tp != nil {
		popts = append(popts, db.WithPoolTracing(tp))
	}
	pools, err := db.NewPools(pg, popts...)
	if err != nil {
		tb.Fatal(err)
	}
	d, err := db.New(pools, logger, 0, db.WithRegistry(reg))
	if err != nil {
		tb.Fatal(err)
	}
	if err := d.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = d.Stop(context.Background()) })
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	keys, err := keyring.NewLocal("test", 1, key)
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := service.NewServices(logger, d, keys)
	if err != nil {
		tb.Fatal(err)
	}
	api, err := httpapi.New(logger, d, svc, reg)
	if err != nil {
		tb.Fatal(err)
	}
	if tp == nil {
		return api
	}
	return tracing.Middleware(tp)(api)
}

func newTraced(t *testing.T) *stack {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	s := newStack(t, tp)
	s.exp = exp
	return s
}

// TestSpansBehindPgBouncer: behind a transaction pooler (exec query mode,
// the direct pool beside) a request's statements still have their spans
// under the request and the transaction, with the pools' roles.
func TestSpansBehindPgBouncer(t *testing.T) {
	p := dbtest.NewPooled(t)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	core, _ := observer.New(zapcore.InfoLevel)
	h := newHandler(t, config.Postgres{
		ReadWrite: config.Conn{URL: config.Secret(p.PooledURL), PoolSize: 4, AppName: "test_rw"},
		ReadOnly:  config.Conn{URL: config.Secret(p.PooledReadOnlyURL), PoolSize: 4, AppName: "test_ro"},
		Pooler:    config.PoolerTransaction,
		Direct:    config.Conn{URL: config.Secret(p.URL), PoolSize: 2, AppName: "test_direct"},
	}, zap.New(core), tp)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s := &stack{url: srv.URL, exp: exp}
	tenant := s.tenant(t)
	spans := exp.GetSpans()
	checkNoPlumbing(t, spans)
	txs := byName(spans, "db.transaction")
	if len(txs) != 1 {
		t.Fatalf("want one transaction span, got %v", names(spans))
	}
	roles := map[string]int{}
	for _, st := range statementSpans(spans) {
		v, _ := attr(st, tracing.PoolRoleKey)
		roles[v.AsString()]++
		if st.Parent.SpanID() != txs[0].SpanContext.SpanID() && v.AsString() == "read-write" {
			t.Errorf("read-write statement %q outside the transaction", st.Name)
		}
	}
	if roles["read-write"] < 3 || roles["read-only"] == 0 {
		t.Errorf("statement spans by pool role: %v (tenant %s)", roles, tenant)
	}
}

func (s *stack) do(t *testing.T, method, path string, body any, header http.Header) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

func (s *stack) tenant(t *testing.T) string {
	t.Helper()
	resp, body := s.do(t, "POST", "/v1/tenants", map[string]string{"slug": "acme", "display_name": "Acme"}, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create tenant: %d %s", resp.StatusCode, body)
	}
	var v struct{ ID string }
	_ = json.Unmarshal(body, &v)
	return v.ID
}

func attr(s tracetest.SpanStub, k attribute.Key) (attribute.Value, bool) {
	for _, a := range s.Attributes {
		if a.Key == k {
			return a.Value, true
		}
	}
	return attribute.Value{}, false
}

func statementSpans(spans tracetest.SpanStubs) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range spans {
		if s.InstrumentationScope.Name == "github.com/exaring/otelpgx" {
			out = append(out, s)
		}
	}
	return out
}

func byName(spans tracetest.SpanStubs, name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// TestCreateUserSpans: one request gives the server span, named after the
// route, its transaction span, and one span per statement under the
// transaction, on the read-write pool, with no argument value anywhere.
func TestCreateUserSpans(t *testing.T) {
	s := newTraced(t)
	tenant := s.tenant(t)
	s.exp.Reset()

	const email = "ada.lovelace.7f3k@example.com"
	const tagValue = "tag-value-q9z2w"
	resp, body := s.do(t, "POST", "/v1/tenants/"+tenant+"/users",
		map[string]any{"email": email, "display_name": "Ada", "tags": map[string]string{"team": tagValue}}, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create user: %d %s", resp.StatusCode, body)
	}
	spans := s.exp.GetSpans()
	checkNoPlumbing(t, spans)

	servers := byName(spans, "POST /v1/tenants/{tenant_id}/users")
	if len(servers) != 1 {
		t.Fatalf("want one server span named after the route, got spans %v", names(spans))
	}
	srv := servers[0]
	if srv.SpanKind != trace.SpanKindServer {
		t.Errorf("server span kind = %v", srv.SpanKind)
	}
	if v, _ := attr(srv, "http.response.status_code"); v.AsInt64() != http.StatusCreated {
		t.Errorf("http.response.status_code = %v, want 201", v.Emit())
	}
	if v, _ := attr(srv, "http.route"); v.AsString() != "/v1/tenants/{tenant_id}/users" {
		t.Errorf("http.route = %q", v.AsString())
	}
	if v, _ := attr(srv, tracing.RequestIDKey); v.AsString() == "" || v.AsString() != resp.Header.Get("X-Request-ID") {
		t.Errorf("request id attribute = %q, X-Request-ID = %q", v.AsString(), resp.Header.Get("X-Request-ID"))
	}

	txs := byName(spans, "db.transaction")
	if len(txs) != 1 {
		t.Fatalf("want one transaction span, got spans %v", names(spans))
	}
	tx := txs[0]
	if tx.Parent.SpanID() != srv.SpanContext.SpanID() {
		t.Errorf("transaction span's parent is %v, want the server span %v", tx.Parent.SpanID(), srv.SpanContext.SpanID())
	}

	stmts := statementSpans(spans)
	var inTx, inserts int
	ops := map[string]bool{}
	for _, st := range stmts {
		if st.SpanContext.TraceID() != srv.SpanContext.TraceID() {
			t.Errorf("statement span %q in another trace", st.Name)
		}
		if st.Parent.SpanID() == tx.SpanContext.SpanID() {
			inTx++
			ops[st.Name] = true
		}
		if v, _ := attr(st, "db.system.name"); v.AsString() != "postgresql" {
			t.Errorf("%q: db.system.name = %q", st.Name, v.AsString())
		}
		q, _ := attr(st, "db.query.text")
		role, _ := attr(st, tracing.PoolRoleKey)
		switch {
		case st.Parent.SpanID() == tx.SpanContext.SpanID():
			if role.AsString() != "read-write" {
				t.Errorf("%q in the transaction: %s = %q, want read-write", q.AsString(), tracing.PoolRoleKey, role.AsString())
			}
		case strings.Contains(q.AsString(), "pg_current_wal"):
			// The read-your-writes token, read on the read-only pool.
			if role.AsString() != "read-only" {
				t.Errorf("%q: %s = %q, want read-only", q.AsString(), tracing.PoolRoleKey, role.AsString())
			}
		default:
			t.Errorf("statement %q outside the transaction, parent %v", q.AsString(), st.Parent.SpanID())
		}
		if strings.HasPrefix(q.AsString(), "INSERT INTO \"users\"") {
			inserts++
			if st.Parent.SpanID() != tx.SpanContext.SpanID() {
				t.Errorf("INSERT users is not a child of the transaction span")
			}
			if v, ok := attr(st, "pgx.rows_affected"); !ok || v.AsInt64() != 1 {
				t.Errorf("INSERT users: pgx.rows_affected = %v (set %v), want 1", v.Emit(), ok)
			}
		}
	}
	if inserts != 1 {
		t.Errorf("want one INSERT INTO users statement span, got %d among %v", inserts, names(stmts))
	}
	if !ops["BEGIN"] || !ops["COMMIT"] {
		t.Errorf("BEGIN and COMMIT should be children of the transaction span: %v", ops)
	}
	// BEGIN, the inserts, COMMIT at least.
	if inTx < 3 {
		t.Errorf("want the transaction's statements (BEGIN ... COMMIT) under its span, got %d: %v", inTx, names(stmts))
	}
	for _, sp := range spans {
		for _, a := range sp.Attributes {
			if v := a.Value.Emit(); strings.Contains(v, email) || strings.Contains(v, tagValue) {
				t.Errorf("span %q attribute %s carries an argument value: %q", sp.Name, a.Key, v)
			}
		}
	}

	// A read runs on the read-only pool, directly under the server span.
	s.exp.Reset()
	loc := resp.Header.Get("Location")
	resp, body = s.do(t, "GET", loc, nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("get user: %d %s", resp.StatusCode, body)
	}
	spans = s.exp.GetSpans()
	checkNoPlumbing(t, spans)
	get := byName(spans, "GET /v1/tenants/{tenant_id}/users/{user_id}")
	if len(get) != 1 {
		t.Fatalf("want one server span for the read, got %v", names(spans))
	}
	stmts = statementSpans(spans)
	if len(stmts) == 0 {
		t.Fatalf("no statement span for the read: %v", names(spans))
	}
	for _, st := range stmts {
		if v, _ := attr(st, tracing.PoolRoleKey); v.AsString() != "read-only" {
			t.Errorf("read %q: %s = %q, want read-only", st.Name, tracing.PoolRoleKey, v.AsString())
		}
		if st.Parent.SpanID() != get[0].SpanContext.SpanID() {
			t.Errorf("read %q is not a child of the server span", st.Name)
		}
		if _, ok := attr(st, "pgx.rows_affected"); !ok {
			t.Errorf("read %q: pgx.rows_affected not set", st.Name)
		}
	}
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

const (
	callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpan  = "00f067aa0ba902b7"
	traceparent = "00-" + callerTrace + "-" + callerSpan + "-01"
)

// TestTraceparentJoinsTrace: the caller's traceparent makes every span of
// the request part of the caller's trace, and every log line of the
// request (access log, SQL log) carries that trace id.
func TestTraceparentJoinsTrace(t *testing.T) {
	s := newTraced(t)
	resp, body := s.do(t, "POST", "/v1/tenants", map[string]string{"slug": "acme", "display_name": "Acme"},
		http.Header{"Traceparent": {traceparent}})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create tenant: %d %s", resp.StatusCode, body)
	}
	spans := s.exp.GetSpans()
	if len(spans) < 2 {
		t.Fatalf("want the server span and statement spans, got %v", names(spans))
	}
	for _, sp := range spans {
		if got := sp.SpanContext.TraceID().String(); got != callerTrace {
			t.Errorf("span %q in trace %s, want the caller's %s", sp.Name, got, callerTrace)
		}
	}
	srv := byName(spans, "POST /v1/tenants")
	if len(srv) != 1 || srv[0].Parent.SpanID().String() != callerSpan || !srv[0].Parent.IsRemote() {
		t.Errorf("server span's parent should be the caller's span %s: %+v", callerSpan, srv)
	}
	checkLogTraceIDs(t, s.logs, resp.Header.Get("X-Request-ID"), callerTrace)
}

// checkLogTraceIDs: every log line carrying the request id carries the
// trace id too, and there is the access log line and at least one SQL line.
func checkLogTraceIDs(t *testing.T, logs *observer.ObservedLogs, requestID, traceID string) {
	t.Helper()
	var access, sql int
	for _, e := range logs.All() {
		fields := e.ContextMap()
		if fields["request_id"] != requestID {
			continue
		}
		if fields["trace_id"] != traceID {
			t.Errorf("log line %q of the request: trace_id = %v, want %s", e.Message, fields["trace_id"], traceID)
		}
		switch {
		case e.Message == "request":
			access++
		case e.LoggerName == "db.sql":
			sql++
		}
	}
	if access != 1 || sql == 0 {
		t.Errorf("want the access log line and SQL lines of the request, got %d and %d", access, sql)
	}
}

// TestTraceIDLoggedWithTracingOff: with the no-op provider nothing is
// recorded, but the caller's trace id still reaches the request's logs.
func TestTraceIDLoggedWithTracingOff(t *testing.T) {
	s := newStack(t, noop.NewTracerProvider())
	resp, body := s.do(t, "POST", "/v1/tenants", map[string]string{"slug": "acme", "display_name": "Acme"},
		http.Header{"Traceparent": {traceparent}})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create tenant: %d %s", resp.StatusCode, body)
	}
	checkLogTraceIDs(t, s.logs, resp.Header.Get("X-Request-ID"), callerTrace)
}
