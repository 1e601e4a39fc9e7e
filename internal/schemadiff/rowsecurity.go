package schemadiff

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"ariga.io/atlas/sql/migrate"
	"github.com/jackc/pgx/v5"

	"github.com/central/central/internal/entmeta"
	"github.com/central/central/internal/tenantctx"
)

// PolicyName is the name of the tenant-isolation policy on every
// tenant-owned table.
const PolicyName = "tenant_isolation"

// RowSecurity makes row-level security part of the desired state: every
// tenant-owned entity of entities gets ENABLE and FORCE ROW LEVEL SECURITY
// and the PolicyName policy (USING and WITH CHECK): on its tenant column
// for entmeta.TenantOwned (PolicyExpr), through its parent for
// entmeta.TenantOwnedVia (ViaPolicyExpr). Every other table of the schema
// gets none (a policy or RLS flag found there is dropped). Pass
// ent.Entities(). Without this option Compute leaves row-level security
// alone (tests of other parts).
func RowSecurity(entities []entmeta.Entity) Option {
	return func(c *config) error {
		if entities == nil {
			return errors.New("schemadiff: RowSecurity(nil): pass ent.Entities()")
		}
		byName := map[string]entmeta.Entity{}
		for _, e := range entities {
			byName[e.Name] = e
		}
		c.rls = map[string]rlsPolicy{}
		c.rlsTables = map[string]bool{}
		for _, e := range entities {
			c.rlsTables[e.Table] = true
			switch e.Tenancy {
			case entmeta.TenantOwned:
				if e.TenantColumn == "" {
					return fmt.Errorf("schemadiff: entity %s is tenant-owned without a tenant column", e.Name)
				}
				c.rls[e.Table] = rlsPolicy{expr: PolicyExpr(e.TenantColumn), columns: map[string][]string{e.Table: {e.TenantColumn}}}
			case entmeta.TenantOwnedVia:
				p, ok := byName[e.Parent]
				if !ok || p.Tenancy != entmeta.TenantOwned || p.IDColumn == "" || e.ViaColumn == "" {
					return fmt.Errorf("schemadiff: entity %s is tenant-owned via %q without a tenant-owned parent %q among the entities, or without its columns", e.Name, e.Via, e.Parent)
				}
				c.rls[e.Table] = rlsPolicy{
					expr:    ViaPolicyExpr(e.Table, e.ViaColumn, p.Table, p.IDColumn),
					columns: map[string][]string{e.Table: {e.ViaColumn}, p.Table: {p.IDColumn}},
				}
			}
		}
		return nil
	}
}

// rlsPolicy is the desired policy of one table: its expression, and the
// columns (by table) the expression needs, for the probe that learns its
// normalized form on tables the ent diff has yet to create.
type rlsPolicy struct {
	expr    string
	columns map[string][]string
}

// PolicyExpr is the condition of the tenant-isolation policy on column
// col: the row's tenant equals the transaction's app.tenant_id. An unset
// setting is NULL, and one that a finished transaction set locally reads
// back as the empty string on the same session, hence NULLIF: both compare
// as NULL, so no row qualifies and every write fails WITH CHECK. The setting
// is read in a scalar subquery, which PostgreSQL evaluates once per
// statement (an InitPlan) instead of once per row a scan filters.
func PolicyExpr(col string) string {
	return fmt.Sprintf("%s = (SELECT NULLIF(current_setting('%s', true), '')::uuid)", quoteIdent(col), tenantctx.Setting)
}

// ViaPolicyExpr is the condition of the tenant-isolation policy on a table
// whose rows belong to the tenant of their parent (entmeta.TenantOwnedVia):
// the parent row, reached by the foreign key fk, is visible. The subquery
// runs under the parent's own policy, so "visible" means "of the
// transaction's tenant": no tenant, no parent, no row; and a write that
// points at another tenant's parent fails WITH CHECK. The parent is probed
// by its primary key, once per row.
func ViaPolicyExpr(table, fk, parent, parentID string) string {
	return fmt.Sprintf("EXISTS (SELECT 1 FROM %s p WHERE p.%s = %s.%s)", quoteIdent(parent), quoteIdent(parentID), quoteIdent(table), quoteIdent(fk))
}

func quoteIdent(s string) string { return pgx.Identifier{s}.Sanitize() }

// tableRLS is the row-level security of one table in a database.
type tableRLS struct {
	enabled, forced bool
	policies        map[string]policy
}

type policy struct {
	cmd, permissive, roles, qual, check string
}

// readRowSecurity reads the RLS flags and policies of the tables of
// schema public in db, and the normalized form PostgreSQL gives the desired
// policy on each table of want (created and rolled back in a transaction),
// so that the comparison does not depend on how PostgreSQL prints
// expressions.
func readRowSecurity(ctx context.Context, db *sql.DB, want map[string]rlsPolicy) (cur map[string]*tableRLS, desired map[string]policy, err error) {
	cur = map[string]*tableRLS{}
	rows, err := db.QueryContext(ctx, `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')`)
	if err != nil {
		return nil, nil, fmt.Errorf("read row security: %w", err)
	}
	for rows.Next() {
		t := &tableRLS{policies: map[string]policy{}}
		var name string
		if err := rows.Scan(&name, &t.enabled, &t.forced); err != nil {
			rows.Close()
			return nil, nil, err
		}
		cur[name] = t
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	pols, err := readPolicies(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	for k, p := range pols {
		if t := cur[k[0]]; t != nil {
			t.policies[k[1]] = p
		}
	}
	desired = map[string]policy{}
	if len(want) == 0 {
		return cur, desired, nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback() //nolint:errcheck // read-only probe, always rolled back
	// Tables the ent diff creates: make them here, with the columns the
	// policies name, just to learn the policies' normalized text.
	missing := map[string][]string{}
	for _, p := range want {
		for table, cols := range p.columns {
			if cur[table] == nil {
				missing[table] = append(missing[table], cols...)
			}
		}
	}
	for table, cols := range missing {
		slices.Sort(cols)
		defs := make([]string, 0, len(cols))
		for _, c := range slices.Compact(cols) {
			defs = append(defs, quoteIdent(c)+" uuid")
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("CREATE TABLE %s (%s)", quoteIdent(table), strings.Join(defs, ", "))); err != nil {
			return nil, nil, fmt.Errorf("probe policy on %s: %w", table, err)
		}
	}
	for table, p := range want {
		if _, err := tx.ExecContext(ctx, createPolicy(table, p.expr, "central_probe")); err != nil {
			return nil, nil, fmt.Errorf("probe policy on %s: %w", table, err)
		}
	}
	probe, err := readPolicies(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	for k, p := range probe {
		if k[1] == "central_probe" {
			desired[k[0]] = p
		}
	}
	return cur, desired, nil
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func readPolicies(ctx context.Context, q queryer) (map[[2]string]policy, error) {
	rows, err := q.QueryContext(ctx, `SELECT tablename, policyname, cmd, permissive, array_to_string(roles, ','),
	coalesce(qual, ''), coalesce(with_check, '')
FROM pg_policies WHERE schemaname = 'public'`)
	if err != nil {
		return nil, fmt.Errorf("read policies: %w", err)
	}
	defer rows.Close()
	out := map[[2]string]policy{}
	for rows.Next() {
		var t, n string
		var p policy
		if err := rows.Scan(&t, &n, &p.cmd, &p.permissive, &p.roles, &p.qual, &p.check); err != nil {
			return nil, err
		}
		out[[2]string{t, n}] = p
	}
	return out, rows.Err()
}

func createPolicy(table, e, name string) string {
	return fmt.Sprintf("CREATE POLICY %s ON %s AS PERMISSIVE FOR ALL TO PUBLIC USING (%s) WITH CHECK (%s)",
		quoteIdent(name), quoteIdent(table), e, e)
}

// rowSecurityChanges plans the statements that bring the tables of the
// schema (rlsTables; tables the ent diff drops are left to it) to the
// desired row-level security: plain SQL, since atlas does not model
// policies.
func rowSecurityChanges(ctx context.Context, db *sql.DB, c *config) ([]*migrate.Change, error) {
	if c.rls == nil {
		return nil, nil
	}
	cur, desired, err := readRowSecurity(ctx, db, c.rls)
	if err != nil {
		return nil, err
	}
	tables := make([]string, 0, len(c.rlsTables))
	for t := range c.rlsTables {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	var out []*migrate.Change
	add := func(cmd, comment string) { out = append(out, &migrate.Change{Cmd: cmd, Comment: comment}) }
	for _, t := range tables {
		have := cur[t]
		if have == nil {
			have = &tableRLS{policies: map[string]policy{}}
		}
		want, owned := c.rls[t]
		names := make([]string, 0, len(have.policies))
		for n := range have.policies {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if owned && n == PolicyName && have.policies[n] == desired[t] {
				continue
			}
			add(fmt.Sprintf("DROP POLICY %s ON %s", quoteIdent(n), quoteIdent(t)), fmt.Sprintf("drop policy %q on table %q", n, t))
		}
		if owned {
			if !have.enabled {
				add(fmt.Sprintf("ALTER TABLE %s ENABLE ROW LEVEL SECURITY", quoteIdent(t)), fmt.Sprintf("enable row-level security on table %q", t))
			}
			if !have.forced {
				add(fmt.Sprintf("ALTER TABLE %s FORCE ROW LEVEL SECURITY", quoteIdent(t)), fmt.Sprintf("subject the owner of table %q to row-level security", t))
			}
			if p, ok := have.policies[PolicyName]; !ok || p != desired[t] {
				add(createPolicy(t, want.expr, PolicyName), fmt.Sprintf("create policy %q on table %q", PolicyName, t))
			}
			continue
		}
		if have.forced {
			add(fmt.Sprintf("ALTER TABLE %s NO FORCE ROW LEVEL SECURITY", quoteIdent(t)), fmt.Sprintf("table %q is not tenant-owned", t))
		}
		if have.enabled {
			add(fmt.Sprintf("ALTER TABLE %s DISABLE ROW LEVEL SECURITY", quoteIdent(t)), fmt.Sprintf("table %q is not tenant-owned", t))
		}
	}
	return out, nil
}
