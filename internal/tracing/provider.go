package tracing

import (
	"context"
	"fmt"
	"net/url"
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
	// A malformed OTEL_RESOURCE_ATTRIBUTES stops the start. The
	// OpenTelemetry specification asks for it to be reported as an error
	// and discarded whole, but the SDK keeps its well-formed entries (and
	// sdktrace.WithResource merges them under any resource given), so
	// every span would carry a half-read value: refusing it is the only
	// way to discard it.
	if err := checkResourceAttributes(getenv("OTEL_RESOURCE_ATTRIBUTES")); err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	exp, err := autoexport.NewSpanExporter(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTEL_TRACES_EXPORTER=%s: %w; check the OTEL_EXPORTER_OTLP_* variables", name, err)
	}
	res, err := resource.New(ctx, resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err == nil {
		// WithFromEnv: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
		res, err = resource.Merge(resource.NewSchemaless(semconv.ServiceName(ServiceName)), res)
	}
	if err != nil {
		_ = exp.Shutdown(ctx)
		return nil, fmt.Errorf("tracing: resource: %w; check OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES", err)
	}
	return FromExporter(exp, name, res), nil
}

// checkResourceAttributes checks OTEL_RESOURCE_ATTRIBUTES the way the SDK
// parses it: comma-separated key=value entries, values percent-encoded.
func checkResourceAttributes(v string) error {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	var problems []string
	for i, entry := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(entry, "=")
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("entry %d has no '='", i+1))
		case strings.TrimSpace(k) == "":
			problems = append(problems, fmt.Sprintf("entry %d has an empty key", i+1))
		default:
			if _, err := url.PathUnescape(strings.TrimSpace(val)); err != nil {
				problems = append(problems, fmt.Sprintf("the value of %s does not percent-decode", strings.TrimSpace(k)))
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES is malformed (%s): write key=value pairs separated by commas, values percent-encoded, or unset it",
		strings.Join(problems, "; "))
}

// FromExporter is the provider FromEnv builds around exp: a batch span
// processor, the SDK's sampler from OTEL_TRACES_SAMPLER[_ARG] (default:
// parent-based, always on), resource res (nil: the SDK's default).
// Shutdown flushes the batch to exp.
func FromExporter(exp sdktrace.SpanExporter, name string, res *resource.Resource) *Provider {
	opts := []sdktrace.TracerProviderOption{sdktrace.WithBatcher(exp)}
	if res != nil {
		opts = append(opts, sdktrace.WithResource(res))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	return &Provider{TracerProvider: tp, Exporter: name, shutdown: tp.Shutdown}
}

// Module provides *Provider (from the process's OTEL_* variables) and
// trace.TracerProvider, and flushes the spans on stop. The provider is built
// before the pools and the server that use it, so fx stops it after them:
// the last statements' spans are exported too.
var Module = fx.Module("tracing",
	fx.Provide(provide, func(p *Provider) trace.TracerProvider { return p.TracerProvider }),
	// An invoke, not the constructor, hooks the flush: it flushes whatever
	// *Provider the graph ends up with (fx.Decorate included).
	fx.Invoke(func(lc fx.Lifecycle, p *Provider) { lc.Append(fx.Hook{OnStop: p.Shutdown}) }),
)

func provide(logger *zap.Logger) (*Provider, error) {
	p, err := FromEnv(context.Background(), os.Getenv)
	if err != nil {
		return nil, err
	}
	if p.Enabled() {
		logger.Named("tracing").Info("tracing on", zap.String("exporter", p.Exporter))
	}
	return p, nil
}
