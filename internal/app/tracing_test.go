package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/zap/zaptest"

	"github.com/central/central/internal/app"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/httpapi"
)

// TestBootAndRequestSpans boots the whole application with an in-memory
// exporter in place of the OTEL_* one: the boot steps have their spans
// (migrate with its statements; seed with one child per seed and that
// seed's transaction), and a request through the real server has its
// server span with statement children: the wiring of internal/app.
func TestBootAndRequestSpans(t *testing.T) {
	tdb := dbtest.New(t, dbtest.Empty())
	cfg := loadConfig(t, map[string]string{
		"DATA_DIR": t.TempDir(), "HTTP_ADDR": "127.0.0.1:0",
		"POSTGRES_READWRITE_URL": tdb.URL, "POSTGRES_READONLY_URL": tdb.ReadOnlyURL,
	})
	env, err := app.Prepare(context.Background(), cfg, zaptest.NewLogger(t), "test")
	if err != nil {
		t.Fatal(err)
	}
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	var srv *httpapi.Server
	a := fxtest.New(t, app.ServeOptions(env),
		fx.Decorate(func(trace.TracerProvider) trace.TracerProvider { return tp }),
		fx.Populate(&srv))
	a.RequireStart()
	defer a.RequireStop()

	spans := exp.GetSpans()
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, s := range spans {
		byID[s.SpanContext.SpanID()] = s
	}
	root := func(s tracetest.SpanStub) tracetest.SpanStub {
		for s.Parent.IsValid() {
			p, ok := byID[s.Parent.SpanID()]
			if !ok {
				break
			}
			s = p
		}
		return s
	}
	var migrateStmts, seedSpans, seedTx int
	var haveMigrate, haveSeed bool
	for _, s := range spans {
		r := root(s)
		switch {
		case s.Name == "migrate":
			haveMigrate = true
		case s.Name == "seed":
			haveSeed = true
		case r.Name == "migrate" && s.InstrumentationScope.Name == "github.com/exaring/otelpgx":
			migrateStmts++
		case strings.HasPrefix(s.Name, "seed "):
			if byID[s.Parent.SpanID()].Name != "seed" {
				t.Errorf("span %q is not a child of the seed boot step", s.Name)
			}
			seedSpans++
		case s.Name == "db.transaction" && strings.HasPrefix(byID[s.Parent.SpanID()].Name, "seed "):
			seedTx++
		}
	}
	if !haveMigrate || migrateStmts == 0 {
		t.Errorf("migrate span %v with %d statement spans under it", haveMigrate, migrateStmts)
	}
	if !haveSeed || seedSpans == 0 || seedTx != seedSpans {
		t.Errorf("seed span %v, %d per-seed spans, %d seed transactions", haveSeed, seedSpans, seedTx)
	}

	exp.Reset()
	res, err := http.Get("http://" + srv.Addr() + "/v1/tenants")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var server tracetest.SpanStub
	var stmts int
	for _, s := range exp.GetSpans() {
		if s.Name == "GET /v1/tenants" {
			server = s
		}
	}
	for _, s := range exp.GetSpans() {
		if s.Parent.SpanID() == server.SpanContext.SpanID() && s.InstrumentationScope.Name == "github.com/exaring/otelpgx" {
			stmts++
		}
	}
	if !server.SpanContext.IsValid() || stmts == 0 {
		t.Errorf("request: server span %v, %d statement spans under it; spans %d", server.SpanContext.IsValid(), stmts, len(exp.GetSpans()))
	}
}
