package db

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/central/central/internal/tenantctx"
)

// readWriteChecksQuery asks the read-write pool, in one round trip, whether
// its role bypasses row-level security (superuser or BYPASSRLS), whether
// jsonb @> is LEAKPROOF in its database (replicas copy its catalog), and
// that database's name.
const readWriteChecksQuery = `SELECT rolsuper OR rolbypassrls, (` + tenantctx.LeakproofQuery + `), current_database()
FROM pg_roles WHERE rolname = current_user`

// readOnlyChecksQuery asks the read-only pool, in one round trip, whether
// its role bypasses row-level security; whether it is a superuser or can act
// as the database owner (then only default_transaction_read_only keeps it
// from writing); and its default access mode, which a transaction pooler
// cannot set per connection.
const readOnlyChecksQuery = `SELECT rolsuper OR rolbypassrls,
	rolsuper OR pg_has_role(current_user, (SELECT datdba FROM pg_database WHERE datname = current_database()), 'USAGE'),
	current_setting('default_transaction_read_only')
FROM pg_roles WHERE rolname = current_user`

// poolChecks is what the start-up checks learned from the two primary
// pools; a pool's err is set when its query failed.
type poolChecks struct {
	rwErr     error
	rwBypass  bool
	leakproof bool
	database  string

	roErr        error
	roBypass     bool
	roCanWrite   bool
	roReadOnlyOn string
}

// queryPoolChecks runs one query per primary pool.
func (d *DB) queryPoolChecks(ctx context.Context) poolChecks {
	var c poolChecks
	c.rwErr = d.pools.ReadWrite.Pgx.QueryRow(ctx, readWriteChecksQuery).Scan(&c.rwBypass, &c.leakproof, &c.database)
	c.roErr = d.pools.ReadOnly.Pgx.QueryRow(ctx, readOnlyChecksQuery).Scan(&c.roBypass, &c.roCanWrite, &c.roReadOnlyOn)
	return c
}

// checkPools runs the start-up checks of the primary pools' roles and
// settings, warning in this order: the read-only role could write
// (checkReadOnlyRole); then it fails behind a pooler whose read-only role
// does not default to read-only (checkPoolerReadOnly); then it warns about
// roles that bypass row-level security (checkRowSecurityRoles) and about
// jsonb @> without LEAKPROOF (checkLeakproofContains).
func (d *DB) checkPools(ctx context.Context) error {
	c := d.queryPoolChecks(ctx)
	d.checkReadOnlyRole(c)
	if err := d.checkPoolerReadOnly(c); err != nil {
		return err
	}
	d.checkRowSecurityRoles(c)
	d.checkLeakproofContains(c)
	return nil
}

// checkReadOnlyRole warns when the read-only pool's role could write.
func (d *DB) checkReadOnlyRole(c poolChecks) {
	if c.roErr != nil {
		d.log.Warn("could not check the read-only role's privileges", zap.Error(c.roErr))
		return
	}
	if c.roCanWrite {
		d.log.Warn("the read-only pool connects as a superuser or the database owner: only default_transaction_read_only stops writes through it; set POSTGRES_READONLY_URL to a role without write grants (e.g. a member of pg_read_all_data)")
	}
}

// checkPoolerReadOnly fails when, behind a transaction pooler, the read-only
// role's sessions do not default to read-only transactions: the pools
// cannot send default_transaction_read_only as a startup parameter there,
// so it must be a setting of the role.
func (d *DB) checkPoolerReadOnly(c poolChecks) error {
	if !d.pools.UsesPooler() {
		return nil
	}
	if c.roErr != nil {
		return fmt.Errorf("db: check the read-only role's default_transaction_read_only: %w", c.roErr)
	}
	if c.roReadOnlyOn != "on" {
		m := d.pools.meta[d.pools.ReadOnly.Pgx]
		return fmt.Errorf("db: behind a transaction pooler (POSTGRES_POOLER=transaction) the read-only pool cannot send default_transaction_read_only at connect time, and role %q does not default to it: run ALTER ROLE %s SET default_transaction_read_only = on as a superuser (the role must also lack write grants, e.g. be a member of pg_read_all_data only)",
			m.user, pgx.Identifier{m.user}.Sanitize())
	}
	return nil
}

// checkRowSecurityRoles warns when a primary pool's role bypasses
// row-level security: then only the generated tenant scopes keep tenants
// apart. The app's roles must be subject to it (see internal/tenantctx).
func (d *DB) checkRowSecurityRoles(c poolChecks) {
	for _, p := range []struct {
		name   string
		bypass bool
		err    error
	}{
		{PoolReadWrite, c.rwBypass, c.rwErr},
		{PoolReadOnly, c.roBypass, c.roErr},
	} {
		if p.err != nil {
			d.log.Warn("could not check whether the pool's role bypasses row-level security", zap.String("pool", p.name), zap.Error(p.err))
			continue
		}
		if p.bypass {
			d.log.Warn("the pool's role bypasses row-level security (superuser or BYPASSRLS): tenant isolation then rests on the application alone; connect as a role without either (see README, Roles)", zap.String("pool", p.name))
		}
	}
}

// checkLeakproofContains warns when jsonb @> is not LEAKPROOF in the
// read-write pool's database: filters stay correct, but under row-level
// security the planner may not use the GIN index on users.profile, so a
// profile filter reads every row of the tenant. The fix is one statement a
// superuser runs (see internal/tenantctx for why it is safe).
func (d *DB) checkLeakproofContains(c poolChecks) {
	if c.rwErr != nil {
		d.log.Warn("could not check whether jsonb @> (jsonb_contains) is leakproof", zap.Error(c.rwErr))
		return
	}
	if !c.leakproof {
		d.log.Warn("jsonb @> (jsonb_contains) is not LEAKPROOF in this database: under row-level security profile filters stay correct but read all the tenant's users instead of the GIN index; as a superuser, run in this database: "+tenantctx.LeakproofSQL+" (see README, Tenant isolation)",
			zap.String("database", c.database), zap.String("sql", tenantctx.LeakproofSQL+";"))
	}
}
