package tracing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/tracing"
)

// discardExporter drops the spans the batch processor hands it: the cost
// of recording and batching is measured, not that of a collector.
type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }

// BenchmarkTracingOverhead serves GET /v1/tenants/{t}/users/{u} (get by id:
// two SELECTs on the read-only pool) in process, on one database, through
// three stacks run interleaved in a rotating order within one loop:
//
//	absent  no tracing code: no middleware, no pool tracer
//	off     tracing off as shipped: Middleware with the no-op provider
//	        (traceparent extraction for the logs), no pool tracer
//	on      the SDK, sampler at 100 %, batch processor, spans discarded
//
// It reports each stack's median ns per request, and off/absent and
// on/absent of the medians and of the means.
// Run: go test ./internal/tracing -run '^$' -bench TracingOverhead -benchtime 5000x -count 3
func BenchmarkTracingOverhead(b *testing.B) {
	pg := pgConfig(dbtest.New(b))
	logger := zap.NewNop()
	sdk := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discardExporter{}), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	b.Cleanup(func() { _ = sdk.Shutdown(context.Background()) })
	names := [...]string{"absent", "off", "on"}
	handlers := [...]http.Handler{
		newHandler(b, pg, logger, nil),
		newHandler(b, pg, logger, noop.NewTracerProvider()),
		newHandler(b, pg, logger, sdk),
	}
	call := func(h http.Handler, method, path string, body any) *httptest.ResponseRecorder {
		var buf bytes.Buffer
		if body != nil {
			_ = json.NewEncoder(&buf).Encode(body)
		}
		req := httptest.NewRequest(method, path, &buf)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := call(handlers[0], "POST", "/v1/tenants", map[string]string{"slug": "bench", "display_name": "Bench"})
	var tenant struct{ ID string }
	_ = json.Unmarshal(rec.Body.Bytes(), &tenant)
	var paths []string
	for i := range 50 {
		rec := call(handlers[0], "POST", "/v1/tenants/"+tenant.ID+"/users",
			map[string]any{"email": fmt.Sprintf("u%d@example.com", i), "display_name": "U", "tags": map[string]string{"k": "v"}})
		if rec.Code != http.StatusCreated {
			b.Fatalf("seed user: %d %s", rec.Code, rec.Body)
		}
		paths = append(paths, rec.Header().Get("Location"))
	}
	for _, h := range handlers { // warm up: connections, statement caches
		for _, p := range paths {
			if rec := call(h, "GET", p, nil); rec.Code != http.StatusOK {
				b.Fatalf("warm-up: %d %s", rec.Code, rec.Body)
			}
		}
	}
	var total [len(names)]time.Duration
	var samples [len(names)][]time.Duration
	i := 0
	for b.Loop() {
		for k := range handlers {
			p := (i + k) % len(handlers)
			req := httptest.NewRequest("GET", paths[i%len(paths)], nil)
			w := httptest.NewRecorder()
			start := time.Now()
			handlers[p].ServeHTTP(w, req)
			d := time.Since(start)
			total[p] += d
			samples[p] = append(samples[p], d)
			if w.Code != http.StatusOK {
				b.Fatalf("%s: %d %s", names[p], w.Code, w.Body)
			}
		}
		i++
	}
	// Medians resist the scheduling spikes of a loaded machine that means
	// absorb; both are reported.
	per := func(p int) float64 { return float64(total[p].Nanoseconds()) / float64(i) }
	med := func(p int) float64 {
		x := slices.Clone(samples[p])
		slices.Sort(x)
		return float64(x[len(x)/2].Nanoseconds())
	}
	for p, name := range names {
		b.ReportMetric(med(p), name+"-median-ns")
	}
	b.ReportMetric(med(1)/med(0), "off/absent-median")
	b.ReportMetric(med(2)/med(0), "on/absent-median")
	b.ReportMetric(per(1)/per(0), "off/absent-mean")
	b.ReportMetric(per(2)/per(0), "on/absent-mean")
}

// BenchmarkMiddlewareOff is the CPU cost of Middleware with tracing off,
// alone: a request without traceparent (the common case), one with it, and
// no middleware, interleaved. Beside a get-by-id of some 300 µs it shows
// what the end-to-end comparison cannot resolve on a loaded machine.
func BenchmarkMiddlewareOff(b *testing.B) {
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	off := tracing.Middleware(noop.NewTracerProvider())(next)
	plain := httptest.NewRequest("GET", "/v1/tenants", nil)
	withTP := httptest.NewRequest("GET", "/v1/tenants", nil)
	withTP.Header.Set("traceparent", traceparent)
	w := httptest.NewRecorder()
	cases := [...]struct {
		name string
		h    http.Handler
		r    *http.Request
	}{{"absent", next, plain}, {"off", off, plain}, {"off-traceparent", off, withTP}}
	var total [len(cases)]time.Duration
	n := 0
	for b.Loop() {
		for k := range cases {
			c := cases[(n+k)%len(cases)]
			start := time.Now()
			for range 100 {
				c.h.ServeHTTP(w, c.r)
			}
			total[(n+k)%len(cases)] += time.Since(start)
		}
		n++
	}
	for k, c := range cases {
		b.ReportMetric(float64(total[k].Nanoseconds())/float64(n*100), c.name+"-ns/req")
	}
}
