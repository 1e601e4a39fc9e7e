package tracing_test

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/zap"

	"github.com/central/central/internal/tracing"
)

// TestFromEnv: unset means off (autoexport alone would pick otlp and send
// to localhost:4318), none and OTEL_SDK_DISABLED too; console is on; a typo
// is an error naming the accepted values. A malformed
// OTEL_RESOURCE_ATTRIBUTES is an error naming the variable and the entry
// (deliberate bug: the old mustResource, which kept the well-formed entries
// and said nothing: the three malformed cases start). No case contacts a
// collector: otlp is not built here.
func TestFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		enabled bool
		wantErr string
	}{
		{name: "unset", env: nil},
		{name: "empty", env: map[string]string{"OTEL_TRACES_EXPORTER": " "}},
		{name: "none", env: map[string]string{"OTEL_TRACES_EXPORTER": "none"}},
		{name: "sdk disabled", env: map[string]string{"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"}},
		{name: "console", env: map[string]string{"OTEL_TRACES_EXPORTER": "console"}, enabled: true},
		{name: "typo", env: map[string]string{"OTEL_TRACES_EXPORTER": "otpl"}, wantErr: "use otlp, console or none"},
		{name: "NUL", env: map[string]string{"OTEL_TRACES_EXPORTER": "none\x00"}, wantErr: "use otlp, console or none"},
		{name: "resource attributes", env: map[string]string{"OTEL_TRACES_EXPORTER": "console",
			"OTEL_RESOURCE_ATTRIBUTES": "team=core, region = eu%2Dwest"}, enabled: true},
		{name: "resource entry without =", env: map[string]string{"OTEL_TRACES_EXPORTER": "console",
			"OTEL_RESOURCE_ATTRIBUTES": "team=core,broken"}, wantErr: "OTEL_RESOURCE_ATTRIBUTES is malformed (entry 2 has no '=')"},
		{name: "resource empty key", env: map[string]string{"OTEL_TRACES_EXPORTER": "console",
			"OTEL_RESOURCE_ATTRIBUTES": "=core"}, wantErr: "OTEL_RESOURCE_ATTRIBUTES is malformed (entry 1 has an empty key)"},
		{name: "resource bad percent-encoding", env: map[string]string{"OTEL_TRACES_EXPORTER": "console",
			"OTEL_RESOURCE_ATTRIBUTES": "team=core,region=eu%zz"}, wantErr: "OTEL_RESOURCE_ATTRIBUTES is malformed (the value of region does not percent-decode)"},
		{name: "resource ignored with tracing off", env: map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "broken"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// autoexport reads the process environment itself.
			if v := tt.env["OTEL_TRACES_EXPORTER"]; !strings.Contains(v, "\x00") {
				t.Setenv("OTEL_TRACES_EXPORTER", v)
			}
			t.Setenv("OTEL_RESOURCE_ATTRIBUTES", tt.env["OTEL_RESOURCE_ATTRIBUTES"])
			p, err := tracing.FromEnv(context.Background(), func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Enabled() != tt.enabled {
				t.Errorf("Enabled = %v, want %v (exporter %q)", p.Enabled(), tt.enabled, p.Exporter)
			}
			if err := p.Shutdown(context.Background()); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
		})
	}
}

func TestEnabled(t *testing.T) {
	if tracing.Enabled(noop.NewTracerProvider()) || tracing.Enabled(nil) || tracing.Off().Enabled() {
		t.Error("the no-op provider counts as enabled")
	}
	if tracing.PgxTracer(noop.NewTracerProvider(), "read-write") != nil {
		t.Error("PgxTracer with tracing off should install nothing")
	}
}

// TestModuleUnsetIsOff: the fx module with no OTEL_* variable provides the
// no-op provider and starts and stops cleanly.
func TestModuleUnsetIsOff(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "")
	t.Setenv("OTEL_SDK_DISABLED", "")
	var tp trace.TracerProvider
	app := fxtest.New(t, fx.Supply(zap.NewNop()), tracing.Module, fx.Populate(&tp))
	app.RequireStart().RequireStop()
	if tracing.Enabled(tp) {
		t.Errorf("provider %T with OTEL_TRACES_EXPORTER unset, want the no-op one", tp)
	}
}

// TestStopFlushes: spans still in the batch processor when the application
// stops reach the exporter (the batch would otherwise wait up to 5 s, and
// the process exits first).
func TestStopFlushes(t *testing.T) {
	exp := keepOnShutdown{tracetest.NewInMemoryExporter()}
	p := tracing.FromExporter(exp, "test", nil)
	app := fxtest.New(t, fx.Supply(zap.NewNop()), tracing.Module,
		fx.Decorate(func(*tracing.Provider) *tracing.Provider { return p }))
	app.RequireStart()
	_, span := p.Tracer("test").Start(context.Background(), "last")
	span.End()
	if n := len(exp.GetSpans()); n != 0 {
		t.Fatalf("%d spans exported before stop; the test needs them batched", n)
	}
	app.RequireStop()
	if got := exp.GetSpans(); len(got) != 1 || got[0].Name != "last" {
		t.Errorf("after stop the exporter has %d spans, want the one still batched", len(got))
	}
}

// keepOnShutdown keeps the spans that InMemoryExporter drops on Shutdown.
type keepOnShutdown struct{ *tracetest.InMemoryExporter }

func (keepOnShutdown) Shutdown(context.Context) error { return nil }
