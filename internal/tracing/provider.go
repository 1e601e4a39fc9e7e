package tracing

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/fx"
	"go.uber.org/zap"
)

// ServiceName is the service.name of the resource unless OTEL_SERVICE_NAME
// or OTEL_RESOURCE_ATTRIBUTES says otherwise.
const ServiceName = "central"

// Provider is the tracer provider and how to flush it.
type Provider struct {
	trace.TracerProvider
	// Exporter is the OTEL_TRACES_EXPORTER value in effect ("none" when off).
	Exporter string
	shutdown func(context.Context) error
}

// Enabled reports whether spans are recorded and exported.
func (p *Provider) Enabled() bool { return Enabled(p.TracerProvider) }

// Shutdown flushes the spans not exported yet and stops the exporter. It is
// a no-op when tracing is off.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p.shutdown == nil {
		return nil
	}
	if err := p.shutdown(ctx); err != nil {
		return fmt.Errorf("tracing: flush and shut down the %s exporter: %w", p.Exporter, err)
	}
	return nil
}

// Off is the provider with tracing off.
func Off() *Provider { return &Provider{TracerProvider: noop.NewTracerProvider(), Exporter: "none"} }

// Enabled reports whether tp records spans: false for the API's no-op
// provider (tracing off), true for anything else.
func Enabled(tp trace.TracerProvider) bool {
	switch tp.(type) {
	case nil, noop.TracerProvider, *noop.TracerProvider:
		return false
	}
	return true
}

// FromEnv builds the provider the OTEL_* variables describe (getenv reads
// them; os.Getenv in production, since autoexport and the SDK read the
// process environment themselves). OTEL_TRACES_EXPORTER unset, empty or
// none, or OTEL_SDK_DISABLED=true, is tracing off. An unknown exporter name
// is an error that lists the accepted ones.
func FromEnv(ctx context.Context, getenv func(string) string) (*Provider, error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return Off(), nil
	}
	name := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))
	if name == "" || name == "none" {
		// autoexport would default to otlp when the variable is unset.
		return Off(), nil
	}
	switch name {
	case "otlp", "console":
	default:
		return nil, fmt.Errorf("tracing: OTEL_TRACES_EXPORTER=%q: use otlp, console or none (unset means none)", name)
	}
	exp, err := autoexport.NewSpanExporter(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTEL_TRACES_EXPORTER=%s: %w; check the OTEL_EXPORTER_OTLP_* variables", name, err)
	}
	res, err := resource.Merge(
		resource.NewSchemaless(semconv.ServiceName(ServiceName)),
		// WithFromEnv: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
		mustResource(resource.New(ctx, resource.WithFromEnv(), resource.WithTelemetrySDK())),
	)
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w; check OTEL_RESOURCE_ATTRIBUTES", err)
	}
	// The SDK reads OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG itself
	// (default: parent-based, always on).
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return &Provider{TracerProvider: tp, Exporter: name, shutdown: tp.Shutdown}, nil
}

// mustResource keeps a partial resource: resource.New returns one along
// with errors such as a malformed OTEL_RESOURCE_ATTRIBUTES entry, which is
// better than none.
func mustResource(r *resource.Resource, err error) *resource.Resource {
	if err != nil && !errors.Is(err, resource.ErrPartialResource) && r == nil {
		return resource.Empty()
	}
	return r
}

// Module provides *Provider (from the process's OTEL_* variables) and
// trace.TracerProvider, and flushes the spans on stop. The provider is built
// before the pools and the server that use it, so fx stops it after them:
// the last statements' spans are exported too.
var Module = fx.Module("tracing",
	fx.Provide(provide, func(p *Provider) trace.TracerProvider { return p.TracerProvider }),
)

func provide(lc fx.Lifecycle, logger *zap.Logger) (*Provider, error) {
	p, err := FromEnv(context.Background(), os.Getenv)
	if err != nil {
		return nil, err
	}
	if p.Enabled() {
		logger.Named("tracing").Info("tracing on", zap.String("exporter", p.Exporter))
	}
	lc.Append(fx.Hook{OnStop: p.Shutdown})
	return p, nil
}
