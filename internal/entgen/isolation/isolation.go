package isolation

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/central/central/ent"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/entmeta"
)

// Check proves tenant isolation for every tenant-owned entity listed in
// ent.Entities(), through the generated scopes of c: for each direction
// (a against b, then b against a) and each entity,
//
//   - the entity has rows in both tenants (else the check would be vacuous,
//     and it fails saying so);
//   - neither scope lists the other's rows, on the read-write and on the
//     read-only client;
//   - get, update-one, bulk update, delete-one and bulk delete of the other
//     tenant's row through the scope find nothing (not found / 0 rows), and
//     the row is still there, unchanged, in its own tenant's scope.
//
// Every operation of c's own, unscoped client of each entity (query, count,
// get, exist, create, bulk create, update-one, bulk update, delete-one,
// bulk delete) must fail with ent.ErrUnscopedTenantQuery, before reaching
// the database: the generated check, the first lock, proved apart from
// row-level security (which would answer "not found" or 0 rows instead).
// ctx must not be marked ent.CrossTenant.
//
// Finally, as a control that the operations themselves work, each entity's
// update-one and delete-one succeed on a row through its own scope (children
// first, as cascades may remove them). All failures are returned together.
//
// With names, only those entities are checked (a test database that holds
// rows of some entities only); without, every tenant-owned entity is.
func Check(ctx context.Context, c *ent.Client, a, b entityid.TenantID, names ...string) error {
	pick := func(e ent.ScopedReader) bool { return len(names) == 0 || slices.Contains(names, e.Name()) }
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	owned := map[string]bool{}
	for _, e := range ent.Entities() {
		if e.Tenancy == entmeta.TenantOwned || e.Tenancy == entmeta.TenantOwnedVia {
			owned[e.Name] = true
		}
	}
	scoped := map[string]bool{}
	for _, s := range c.ForTenant(a).Entities() {
		scoped[s.Name()] = true
	}
	for name := range owned {
		if !scoped[name] {
			fail("%s is tenant-owned in ent.Entities() but has no tenant scope", name)
		}
	}
	for _, name := range names {
		if !owned[name] {
			fail("%s is not a tenant-owned entity of ent.Entities()", name)
		}
	}
	if len(owned) == 0 {
		fail("ent.Entities() lists no tenant-owned entity")
	}
	unscoped := map[string]ent.ScopedEntity{}
	for _, u := range c.TenantOwnedEntities() {
		unscoped[u.Name()] = u
	}
	for name := range owned {
		if unscoped[name] == nil {
			fail("%s is tenant-owned in ent.Entities() but Client.TenantOwnedEntities() omits it", name)
		}
	}

	for _, dir := range [][2]entityid.TenantID{{a, b}, {b, a}} {
		own, other := dir[0], dir[1]
		ownScope, otherScope := c.ForTenant(own).Entities(), c.ForTenant(other).Entities()
		roOther := c.ReadOnly().ForTenant(other).Entities()
		for i, oe := range ownScope {
			if !pick(oe) {
				continue
			}
			xe, ro := otherScope[i], roOther[i]
			name := oe.Name()
			ownIDs, err := oe.IDs(ctx)
			if err != nil {
				fail("%s: list in tenant %s: %w", name, own, err)
				continue
			}
			if len(ownIDs) == 0 {
				fail("%s: no rows in tenant %s: create some for both tenants before Check, or the check proves nothing", name, own)
				continue
			}
			for _, lister := range []ent.ScopedReader{xe, ro} {
				ids, err := lister.IDs(ctx)
				if err != nil {
					fail("%s: list in tenant %s: %w", name, other, err)
				}
				for _, id := range ids {
					if slices.Contains(ownIDs, id) {
						fail("%s: tenant %s's scope lists a row of tenant %s", name, other, own)
					}
				}
			}
			for _, id := range ownIDs {
				before, err := oe.Get(ctx, id)
				if err != nil {
					fail("%s: get own row in tenant %s: %w", name, own, err)
					continue
				}
				for _, g := range []ent.ScopedReader{xe, ro} {
					if _, err := g.Get(ctx, id); !ent.IsNotFound(err) {
						fail("%s: tenant %s got tenant %s's row: err = %v, want not found", name, other, own, err)
					}
					if ok, err := g.Exist(ctx, id); ok || err != nil {
						fail("%s: tenant %s sees tenant %s's row exist: %v, %v", name, other, own, ok, err)
					}
				}
				if u := unscoped[name]; u != nil {
					for _, err := range unscopedErrors(ctx, u, id) {
						if !errors.Is(err, ent.ErrUnscopedTenantQuery) {
							fail("%s: %v, want ent.ErrUnscopedTenantQuery", name, err)
						}
					}
				}
				if err := xe.UpdateOne(ctx, id); !ent.IsNotFound(err) {
					fail("%s: tenant %s updated (one) tenant %s's row: err = %v, want not found", name, other, own, err)
				}
				if n, err := xe.Update(ctx, id); n != 0 || err != nil {
					fail("%s: tenant %s's bulk update reached tenant %s's row: %d rows, %v", name, other, own, n, err)
				}
				if err := xe.DeleteOne(ctx, id); !ent.IsNotFound(err) {
					fail("%s: tenant %s deleted (one) tenant %s's row: err = %v, want not found", name, other, own, err)
				}
				if n, err := xe.Delete(ctx, id); n != 0 || err != nil {
					fail("%s: tenant %s's bulk delete reached tenant %s's row: %d rows, %v", name, other, own, n, err)
				}
				after, err := oe.Get(ctx, id)
				if err != nil || after != before {
					fail("%s: tenant %s's row changed after tenant %s's attempts:\n  before %s\n  after  %s (%v)", name, own, other, before, after, err)
				}
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}

	// Controls: the same operations do work within the owner's scope.
	var scope []ent.ScopedEntity
	for _, e := range c.ForTenant(a).Entities() {
		if pick(e) {
			scope = append(scope, e)
		}
	}
	for _, e := range scope {
		ids, err := e.IDs(ctx)
		if err != nil || len(ids) == 0 {
			fail("%s: control: list own rows: %d, %v", e.Name(), len(ids), err)
			continue
		}
		if err := e.UpdateOne(ctx, ids[0]); err != nil {
			fail("%s: control: update own row: %w", e.Name(), err)
		}
	}
	for i := len(scope) - 1; i >= 0; i-- {
		e := scope[i]
		ids, err := e.IDs(ctx)
		if err != nil {
			fail("%s: control: list own rows: %w", e.Name(), err)
			continue
		}
		if len(ids) == 0 {
			continue // removed by the cascade of a parent deleted before
		}
		if err := e.DeleteOne(ctx, ids[0]); err != nil {
			fail("%s: control: delete own row: %w", e.Name(), err)
		} else if _, err := e.Get(ctx, ids[0]); !ent.IsNotFound(err) {
			fail("%s: control: deleted row still readable: %v", e.Name(), err)
		}
	}
	return errors.Join(errs...)
}

// unscopedErrors runs every operation of the unscoped client u on row id
// and returns their errors, each prefixed with the operation.
func unscopedErrors(ctx context.Context, u ent.ScopedEntity, id [16]byte) []error {
	wrap := func(op string, err error) error {
		if err == nil {
			return fmt.Errorf("unscoped %s succeeded", op)
		}
		return fmt.Errorf("unscoped %s: err = %w", op, err)
	}
	_, eIDs := u.IDs(ctx)
	_, eCount := u.Count(ctx)
	_, eGet := u.Get(ctx, id)
	_, eExist := u.Exist(ctx, id)
	_, eUpdate := u.Update(ctx, id)
	_, eDelete := u.Delete(ctx, id)
	return []error{
		wrap("query", eIDs), wrap("count", eCount), wrap("get", eGet), wrap("exist", eExist),
		wrap("create", u.Create(ctx)), wrap("bulk create", u.CreateBulk(ctx)),
		wrap("update-one", u.UpdateOne(ctx, id)), wrap("bulk update", eUpdate),
		wrap("delete-one", u.DeleteOne(ctx, id)), wrap("bulk delete", eDelete),
	}
}
