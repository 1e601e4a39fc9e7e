package db

import (
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/central/central/internal/config"
)

// PoolDirect names the direct pool (POSTGRES_DIRECT_URL) in errors, logs and
// metrics.
const PoolDirect = "direct"

// PoolerQueryExecMode is the pgx query mode of the pools behind a
// transaction pooler (config.PoolerTransaction). It must need no server
// session beyond one round trip: the pooler may hand the next round trip, or
// the next transaction, to another server session.
//
//   - QueryExecModeCacheStatement (pgx's default) prepares named statements
//     on the server: the next transaction may run on a session that lacks
//     them (or has another client's), and they pile up in every session.
//   - QueryExecModeDescribeExec prepares the unnamed statement in one round
//     trip and binds it in the next: outside a transaction the pooler may
//     switch sessions in between and the Bind then runs another client's
//     statement (TestDescribeExecUnsafeBehindPooler shows it).
//   - QueryExecModeCacheDescribe, QueryExecModeExec and
//     QueryExecModeSimpleProtocol send each statement in one round trip
//     (Parse/Bind/Execute of the unnamed statement, or a simple Query):
//     safe. CacheDescribe keeps binary results and parameter types described
//     by the server (from a client-side cache filled by a Describe in the same
//     round trip), Exec and SimpleProtocol infer parameter types from Go
//     types and use text.
//
// Exec is the pick: through PgBouncer it was the fastest of the safe modes
// on get-by-id and list-100 and level with them on insert
// (BenchmarkPooler; docs/pgbouncer.md), and ent's argument
// types (UUID-backed IDs, times, JSON) all encode in it, as the service and
// HTTP suites through PgBouncer show.
const PoolerQueryExecMode = pgx.QueryExecModeExec

// forPooler adapts a pool configuration to a transaction pooler: no
// server-side prepared statements, and without the startup parameter the
// read-only pools add (PgBouncer refuses default_transaction_read_only with
// "unsupported startup parameter"); application_name is tracked by
// PgBouncer and stays. The read-only default then comes from the role itself
// (ALTER ROLE ... SET default_transaction_read_only = on), checked at Start.
// Parameters the operator put in the URL are kept: dropping them would
// change behaviour silently, and PgBouncer names any it refuses.
func forPooler(pc *pgxpool.Config) {
	cc := pc.ConnConfig
	cc.DefaultQueryExecMode = PoolerQueryExecMode
	cc.StatementCacheCapacity = 0
	cc.DescriptionCacheCapacity = 0
	delete(cc.RuntimeParams, "default_transaction_read_only")
}

// DirectDB is the database/sql handle for work that needs a server session
// of its own for longer than a transaction: migrations (which run on the
// session holding the migration lock) and the session advisory locks of
// migrations and seeds (internal/pglock). Behind a transaction pooler it is
// the direct pool (POSTGRES_DIRECT_URL), else the read-write pool.
func (p *Pools) DirectDB() *sql.DB {
	if p.Direct != nil {
		return p.Direct.DB
	}
	return p.ReadWrite.DB
}

// UsesPooler reports whether the read-write and read-only pools reach a
// transaction pooler.
func (p *Pools) UsesPooler() bool { return p.pooler == config.PoolerTransaction }

// openDirect opens the direct pool when cfg asks for a transaction pooler.
func (p *Pools) openDirect(cfg config.Postgres) error {
	if cfg.Pooler != config.PoolerTransaction {
		return nil
	}
	if !cfg.Direct.URL.IsSet() {
		return fmt.Errorf("%w: POSTGRES_POOLER=transaction needs POSTGRES_DIRECT_URL, a direct connection to the primary for migrations and advisory locks", ErrNotConfigured)
	}
	pool, sdb, err := p.open(PoolDirect, cfg.Direct, false)
	if err != nil {
		return err
	}
	p.Direct = &ReadWritePool{DB: sdb, Pgx: pool}
	return nil
}
