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
//   - Hostile input is a 4xx problem, never a 500: text is validated by the
//     services; a path with //, . or .. segments is a 404 problem (not the
//     mux's HTML redirect); detail and instance are truncated. A request
//     the client abandons is logged and counted as 499, not 503. FuzzAPI
//     checks all of this on a real database.
//   - Shutdown (Server.Stop): /readyz turns 503 at once, the listener
//     keeps serving for the shutdown delay, then Shutdown (never Close)
//     lets accepted requests finish within the shutdown timeout.
//
// # Usage
//
//	api, err := httpapi.New(logger, database, services, registry)
//	srv := httpapi.NewServer(api, logger, "127.0.0.1:8080", httpapi.WithShutdown(10*time.Second, 20*time.Second))
//	err = srv.Start(ctx) // and srv.Stop(ctx) on shutdown: readiness turns false, requests drain
package httpapi
