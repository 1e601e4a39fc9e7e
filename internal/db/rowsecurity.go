package db

import (
	"context"

	"go.uber.org/zap"
)

// bypassQuery is true when the session's role is not subject to row-level
// security: a superuser or a role with BYPASSRLS.
const bypassQuery = `SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user`

// checkRowSecurityRoles warns when a primary pool's role bypasses
// row-level security: then only the generated tenant scopes keep tenants
// apart. The app's roles must be subject to it (see internal/tenantctx).
func (d *DB) checkRowSecurityRoles(ctx context.Context) {
	for _, p := range []struct {
		name string
		q    func() (bool, error)
	}{
		{PoolReadWrite, func() (b bool, err error) { return b, d.pools.ReadWrite.Pgx.QueryRow(ctx, bypassQuery).Scan(&b) }},
		{PoolReadOnly, func() (b bool, err error) { return b, d.pools.ReadOnly.Pgx.QueryRow(ctx, bypassQuery).Scan(&b) }},
	} {
		bypass, err := p.q()
		if err != nil {
			d.log.Warn("could not check whether the pool's role bypasses row-level security", zap.String("pool", p.name), zap.Error(err))
			continue
		}
		if bypass {
			d.log.Warn("the pool's role bypasses row-level security (superuser or BYPASSRLS): tenant isolation then rests on the application alone; connect as a role without either (see README, Roles)", zap.String("pool", p.name))
		}
	}
}
