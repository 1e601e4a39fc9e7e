// Package replica routes the reads of the read-only ent client between the
// read-only primary and streaming hot standby replicas, without losing
// read-your-writes consistency.
//
// # Routing rules
//
// A [Router] is an ent dialect.Driver. For each read (Query, QueryContext, or
// a transaction started with Tx/BeginTx, which stays on one server):
//
//  1. Without replicas, or before [Router.Start] has polled them, the read
//     goes to the primary.
//  2. If the context's [Session] committed a write ([MarkWrite]) whose token
//     is not resolved yet, the read goes to the primary: the session must see
//     its own write and no replica is known to have it.
//  3. Otherwise the read needs the session's token, if any (resolved with
//     [Session.Token] or imported with [WithToken]). It goes to the next
//     healthy replica, round robin, whose last known replay position is at
//     or past the token. Without a token any healthy replica qualifies.
//  4. If none qualifies, the read goes to the primary. With [WithMaxWait] a
//     tokened read first re-polls the healthy replicas for up to that long.
//
// Serializable transactions always go to the primary, since a hot standby
// refuses them. Exec and ExecContext always go to the primary driver, so
// writes reach PostgreSQL only to be refused by its read-only session.
//
// # Read-only on the primary
//
// The primary driver must connect as a read-only session (role central_ro,
// whose default_transaction_read_only is on). Autocommit reads then run in
// an implicit read-only transaction without an extra round trip, and
// [Router.Start] fails if the primary reports transaction_read_only=off.
// Transactions from Tx/BeginTx are additionally begun READ ONLY. Replicas
// are read-only by nature (in recovery).
//
// # Tokens
//
// A [Token] is a PostgreSQL WAL position (pg_lsn). [Session.Token] resolves
// a dirty session's token with pg_current_wal_insert_lsn() on the primary,
// at most once per batch of writes, so a request that never exports its
// token never pays for it. Tokens are printed and parsed in PostgreSQL's
// "16/B374D848" form ([Token.String], [ParseToken]), safe for HTTP headers.
// A token from a client is only a hint of freshness: a forged high token
// sends that client's reads to the primary, nothing worse.
//
// # Health
//
// While started, a watcher polls every [WithPollInterval] the primary's
// pg_current_wal_lsn() and each replica's pg_is_in_recovery() and
// pg_last_wal_replay_lsn(). Lag is measured against the primary's WAL
// history: it is how long the primary has had WAL the replica has not
// replayed, so an idle primary shows no lag (unlike
// now() - pg_last_xact_replay_timestamp()). A replica that is unreachable,
// not in recovery, or lags more than [WithMaxLag] stops getting reads (one
// warning per transition) and is taken back at the first good poll (one info
// line). [Router.Status] reports each replica for readiness checks and
// metrics; [Router.Stats] counts routing decisions.
//
// # Failures
//
// When a read fails on a replica before returning rows with a connection
// error (refused, reset, server shutting down or starting up) or a hot
// standby recovery conflict, it is retried once on the primary; a
// connection error also takes the replica out of rotation at once, without
// waiting for the watcher. Errors while iterating rows and errors inside a
// replica transaction are returned to the caller. [WithoutPrimaryRetry]
// returns every error instead.
//
// # Usage
//
// The database module builds one Router for the read-only client, marks the
// session after each write on the read-write driver ([MarkWrite]), and gives
// each HTTP request a session:
//
//	router, err := replica.NewRouter(
//		sqllog.Wrap(entsql.OpenDB(dialect.Postgres, roDB), log, roOpts), // read-only primary
//		[]replica.Target{{Name: "replica-1", Driver: sqllog.Wrap(entsql.OpenDB(dialect.Postgres, r1DB), log, replicaOpts), DB: r1DB}},
//		log.Named("replica"), replica.WithPrimaryQuerier(roDB), replica.WithMaxLag(5*time.Second))
//	lc.Append(fx.Hook{OnStart: router.Start, OnStop: router.Stop})
//	readOnly := ent.NewReadOnlyClient(ent.Driver(router))
//
//	// HTTP middleware:
//	ctx := replica.NewSession(r.Context())
//	if h := r.Header.Get("Central-Consistency"); h != "" {
//		tok, err := replica.ParseToken(h) // 400 on error
//		ctx = replica.WithToken(ctx, tok)
//	}
//	// ... handler writes (then replica.MarkWrite(ctx)) and reads through readOnly ...
//	tok, err := router.Token(ctx) // before writing the response
//	if !tok.IsZero() {
//		w.Header().Set("Central-Consistency", tok.String())
//	}
package replica
