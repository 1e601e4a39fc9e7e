// Package httpapi is Central's HTTP JSON API over net/http: tenants, users
// with their tags, and OIDC connectors (public views only), plus /livez,
// /readyz and /metrics.
//
// # Conventions
//
//   - IDs are rich IDs ("tenant-01H2XVNZ7C9NXWK3TMCRD9QWMN"); a malformed or
//     mistyped ID is a 400 that names the expected prefix.
//   - Errors are RFC 9457 application/problem+json, with a stable type URI
//     and the request id. Unknown JSON fields, trailing data, non-JSON
//     content types and bodies over 1 MiB are refused.
//   - Every request has an id: the client's X-Request-ID when it is sane,
//     else a generated one; it is echoed back and travels into the SQL log.
//   - Reads use the read-only client (replicas when configured). Each write
//     returns X-Consistency-Token; a read that sends it back observes the
//     write even when a replica serves it (read-your-writes).
//   - Lists page by ID: ?limit=N&after=<next of the previous page>.
//
// # Usage
//
//	api, err := httpapi.New(logger, database, services, registry)
//	srv := httpapi.NewServer(api, logger, "127.0.0.1:8080")
//	err = srv.Start(ctx) // and srv.Stop(ctx) on shutdown: readiness turns false, requests drain
package httpapi
