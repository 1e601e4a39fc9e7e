// Package tracing is Central's OpenTelemetry tracing: the tracer provider
// chosen by the standard OTEL_* variables, the HTTP middleware, the pgx
// tracer that gives every SQL statement a span, and the helpers the other
// packages use to add spans and the trace id to their logs.
//
// Configuration is the standard one, read by
// go.opentelemetry.io/contrib/exporters/autoexport and the SDK:
// OTEL_TRACES_EXPORTER (otlp, console or none), OTEL_EXPORTER_OTLP_*,
// OTEL_TRACES_SAMPLER[_ARG], OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES and
// OTEL_SDK_DISABLED. Unlike autoexport's own default (otlp), an unset
// OTEL_TRACES_EXPORTER means none: a service must not start sending traces
// to localhost:4318 because nobody configured anything. With tracing on, a
// malformed OTEL_RESOURCE_ATTRIBUTES stops the start with an error naming
// the bad entry: the SDK would keep its well-formed entries silently, where
// the OpenTelemetry specification asks for the whole value to be discarded
// and the error reported.
//
// With tracing off the provider is the API's no-op provider: no span is
// recorded, no pgx tracer is installed on the pools, and the HTTP middleware
// is not otelhttp: it only extracts an incoming W3C traceparent so that the
// request's log lines still carry the caller's trace id.
//
// Spans:
//
//   - one server span per HTTP request (otelhttp), named after the route
//     template ("GET /v1/tenants/{tenant_id}"), with the status and the
//     request id (SetRoute, SetRequestID);
//   - one client span per SQL statement (github.com/exaring/otelpgx), with
//     db.system.name=postgresql, the statement text with its $n placeholders
//     and never the argument values, db.pool.role (read-write, read-only,
//     replica-N or direct) and pgx.rows_affected; a batch's statements get
//     one such span each and the batch none, and the tenant setting that
//     travels in one batch with each tenant statement gets none;
//   - one span per transaction attempt (db.WithTx), parent of its statements;
//   - one span per boot step: migrate, and seed with one child per seed.
//
// Nothing here sets OpenTelemetry's global provider or propagator: the
// provider is an fx value passed to what needs it, and Start derives new
// spans from the provider of the span already in the context.
package tracing
