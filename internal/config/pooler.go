package config

import "strings"

// Pooler says what sits between the app and PostgreSQL (POSTGRES_POOLER).
// The zero value is PoolerNone.
type Pooler uint8

// The poolers POSTGRES_POOLER accepts.
const (
	// PoolerNone: the URLs reach PostgreSQL (or a session-mode pooler), so
	// every pooled connection is one server session.
	PoolerNone Pooler = iota
	// PoolerTransaction: the read-write and read-only URLs reach a
	// transaction-mode pooler such as PgBouncer (pool_mode=transaction):
	// consecutive transactions of one client connection may run on
	// different server sessions. The pools then keep no state in the
	// session (no server-side prepared statements, no startup parameters
	// beyond application_name), and everything that needs a session of its
	// own (migrations, seed and migration advisory locks) goes to
	// Postgres.Direct.
	PoolerTransaction
)

// String is the POSTGRES_POOLER spelling: none or transaction.
func (p Pooler) String() string {
	if p == PoolerTransaction {
		return "transaction"
	}
	return "none"
}

// DefaultDirectPoolSize is the direct pool's size: one session holds the
// migration or seed lock (migrations run on it), one more serves
// readiness' migration status meanwhile.
const DefaultDirectPoolSize = 2

// DefaultDirectAppName is the direct pool's application_name.
const DefaultDirectAppName = "pg_direct"

// pooler parses POSTGRES_POOLER and POSTGRES_DIRECT_URL (or its per-part
// variables) into pg, after the other database variables (the embedded
// server has no pooler in front of it).
func (p *parser) pooler(pg *Postgres) {
	mode := p.enum("POSTGRES_POOLER", "none", "none", "transaction")
	if mode == "transaction" {
		pg.Pooler = PoolerTransaction
	}
	direct, directSet := p.conn("DIRECT", DefaultDirectAppName)
	if !p.has("POSTGRES_DIRECT_POOL_SIZE") {
		direct.PoolSize = DefaultDirectPoolSize
	}
	switch {
	case pg.Pooler == PoolerTransaction && pg.Embedded:
		p.add("POSTGRES_POOLER", "transaction needs an external database behind the pooler: set POSTGRES_READWRITE_URL and POSTGRES_READONLY_URL to the pooler and POSTGRES_DIRECT_URL to the primary itself; the embedded server has no pooler in front of it, so leave POSTGRES_POOLER unset (none)")
	case pg.Pooler == PoolerTransaction && !directSet:
		p.add("POSTGRES_DIRECT_URL", "required with POSTGRES_POOLER=transaction: a transaction pooler hands each transaction to any server session, so migrations and the session advisory locks that keep concurrent boots from migrating or seeding twice need a direct connection to the primary (like Prisma's directUrl); set it (or POSTGRES_DIRECT_HOST, _DATABASE, _USER, ...) to the primary, bypassing the pooler, as a role that may migrate")
	case pg.Pooler == PoolerTransaction && direct.URL.IsSet() && direct.URL == pg.ReadWrite.URL:
		p.add("POSTGRES_DIRECT_URL", "is the same as POSTGRES_READWRITE_URL, which reaches the pooler: point it at the primary itself (its own host and port), bypassing the pooler")
	case pg.Pooler == PoolerTransaction:
		pg.Direct = direct
	case directSet || hasDirectSetting(p):
		p.add("POSTGRES_DIRECT_URL", "only used with POSTGRES_POOLER=transaction; set POSTGRES_POOLER=transaction if the URLs reach a transaction pooler, or unset the POSTGRES_DIRECT_* variables")
	}
}

// hasDirectSetting reports POSTGRES_DIRECT_POOL_SIZE or _APP_NAME without
// a direct connection: settings for a pool that will not exist.
func hasDirectSetting(p *parser) bool {
	for _, s := range []string{"POOL_SIZE", "APP_NAME"} {
		if p.has("POSTGRES_DIRECT_" + s) {
			return true
		}
	}
	return false
}

// UsesPooler reports whether the read-write and read-only URLs reach a
// transaction pooler.
func (p Postgres) UsesPooler() bool { return p.Pooler == PoolerTransaction }

// poolerString is the pooler part of Postgres.String, empty without one.
func (p Postgres) poolerString() string {
	if p.Pooler == PoolerNone {
		return ""
	}
	var b strings.Builder
	b.WriteString(" pooler=" + p.Pooler.String() + " direct={" + p.Direct.String() + "}")
	return b.String()
}
