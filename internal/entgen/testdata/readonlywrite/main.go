// Command readonlywrite must NOT compile: it tries every kind of write through
// ent.ReadOnlyClient. entgen's tests build it and check the compiler errors.
package main

import (
	"context"

	"github.com/central/central/ent"
	"github.com/central/central/internal/entityid"
)

func main() {
	ctx := context.Background()
	ro := ent.NewReadOnlyClient()
	_, _ = ro.Tenant.Create().SetSlug("acme").Save(ctx)
	_, _ = ro.Tenant.Update().SetDisplayName("x").Save(ctx)
	_, _ = ro.Tenant.UpdateOneID(entityid.NewTenantID()).Save(ctx)
	_, _ = ro.User.Delete().Exec(ctx)
	_, _ = ro.Tx(ctx)
}
