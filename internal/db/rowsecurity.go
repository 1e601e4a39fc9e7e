package db

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/central/central/internal/tenantctx"
)

// bypassQuery is true when the session's role is not subject to row-level
// security: a superuser or a role with BYPASSRLS.
const bypassQuery = `SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user`

// checkRowSecurityRoles warns when a primary pool's role bypasses
// row-level security: then only the generated tenant scopes keep tenants
// apart. The app's roles must be subject to it (see internal/tenantctx).
// It then checks what the policies cost (checkLeakproofContains).
func (d *DB) checkRowSecurityRoles(ctx context.Context) {
	for _, p := range []struct {
		name string
		pool *pgxpool.Pool
	}{
		{PoolReadWrite, d.pools.ReadWrite.Pgx},
		{PoolReadOnly, d.pools.ReadOnly.Pgx},
	} {
		var bypass bool
		if err := p.pool.QueryRow(ctx, bypassQuery).Scan(&bypass); err != nil {
			d.log.Warn("could not check whether the pool's role bypasses row-level security", zap.String("pool", p.name), zap.Error(err))
			continue
		}
		if bypass {
			d.log.Warn("the pool's role bypasses row-level security (superuser or BYPASSRLS): tenant isolation then rests on the application alone; connect as a role without either (see README, Roles)", zap.String("pool", p.name))
		}
	}
	d.checkLeakproofContains(ctx)
}

// checkLeakproofContains warns when jsonb @> is not LEAKPROOF in the
// read-write pool's database (replicas copy its catalog): filters stay
// correct, but under row-level security the planner may not use the GIN
// index on users.profile, so a profile filter reads every row of the
// tenant. The fix is one statement a superuser runs (see
// internal/tenantctx for why it is safe).
func (d *DB) checkLeakproofContains(ctx context.Context) {
	var (
		leakproof bool
		database  string
	)
	if err := d.pools.ReadWrite.Pgx.QueryRow(ctx, `SELECT (`+tenantctx.LeakproofQuery+`), current_database()`).Scan(&leakproof, &database); err != nil {
		d.log.Warn("could not check whether jsonb @> (jsonb_contains) is leakproof", zap.Error(err))
		return
	}
	if !leakproof {
		d.log.Warn("jsonb @> (jsonb_contains) is not LEAKPROOF in this database: under row-level security profile filters stay correct but read all the tenant's users instead of the GIN index; as a superuser, run in this database: "+tenantctx.LeakproofSQL+" (see README, Tenant isolation)",
			zap.String("database", database), zap.String("sql", tenantctx.LeakproofSQL+";"))
	}
}
