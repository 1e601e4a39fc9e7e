package seedengine_test

import (
	"context"
	"errors"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/seedengine"
)

// TestSeedSpans: under a recording span, each seed runs in a span "seed
// NAME" that ends, with an error status when the seed fails. Mutant:
// tracing.End dropped (the span never ends, so no exporter sees it).
func TestSeedSpans(t *testing.T) {
	db := newTxDB(t, newTestDB(t))
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	ctx, boot := tp.Tracer("test").Start(context.Background(), "boot")
	s := set(config.Development, "", []string{"0001_ok", "0002_fails"}, map[string]seedengine.Func[deps]{
		"0002_fails": func(context.Context, deps) error { return errors.New("boom") },
	})
	if _, err := newRunner(t, db, config.Development, s).Run(ctx, seedengine.RunOptions{}); err == nil {
		t.Fatal("Run succeeded with a failing seed")
	}
	boot.End()
	ended := map[string]codes.Code{}
	for _, sp := range rec.Ended() {
		ended[sp.Name()] = sp.Status().Code
	}
	if c, ok := ended["seed 0001_ok"]; !ok || c == codes.Error {
		t.Errorf("span of 0001_ok: ended %v, status %v; want ended without error", ok, c)
	}
	if c, ok := ended["seed 0002_fails"]; !ok || c != codes.Error {
		t.Errorf("span of 0002_fails: ended %v, status %v; want ended with an error", ok, c)
	}
}
