package tracing_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/central/central/internal/tracing"
)

// A handler behind Middleware names its span after the route, starts child
// spans with Start, and logs the trace id with TraceID.
func ExampleMiddleware() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	core, logs := observer.New(zapcore.InfoLevel)
	log := zap.New(core)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/things/{id}", func(w http.ResponseWriter, r *http.Request) {
		tracing.SetRoute(r, r.Pattern)
		_, span := tracing.Start(r.Context(), "load thing")
		tracing.End(span, nil)
		log.Info("served", tracing.TraceID(r.Context()))
	})
	req := httptest.NewRequest("GET", "/v1/things/42", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	tracing.Middleware(tp)(mux).ServeHTTP(httptest.NewRecorder(), req)

	for _, s := range exp.GetSpans() {
		fmt.Println(s.Name, s.SpanContext.TraceID())
	}
	fmt.Println(logs.All()[0].ContextMap()["trace_id"])
	// Output:
	// load thing 4bf92f3577b34da6a3ce929d0e0e4736
	// GET /v1/things/{id} 4bf92f3577b34da6a3ce929d0e0e4736
	// 4bf92f3577b34da6a3ce929d0e0e4736
}

// With tracing off nothing is recorded and Start costs a context lookup,
// but the caller's trace id still reaches the logs.
func ExampleTraceID() {
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	tracing.Middleware(noop.NewTracerProvider())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, span := tracing.Start(r.Context(), "work")
		enc := zapcore.NewMapObjectEncoder()
		tracing.TraceID(r.Context()).AddTo(enc)
		fmt.Println(span.IsRecording(), enc.Fields["trace_id"])
	})).ServeHTTP(httptest.NewRecorder(), req)
	fmt.Println(tracing.TraceID(context.Background()).Type == zapcore.SkipType)
	// Output:
	// false 4bf92f3577b34da6a3ce929d0e0e4736
	// true
}
