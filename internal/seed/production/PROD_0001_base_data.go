package production

import (
	"context"
	"errors"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/seed"
	"github.com/central/central/internal/service"
)

// OperatorTenantID is the fixed ID of the operator tenant, the organisation
// running this Central installation; its slug is "central".
const OperatorTenantID = "tenant-01JDQ7G0000000000000CENTRA"

// OperatorTenantSlug is the operator tenant's slug.
const OperatorTenantSlug = "central"

// baseData creates the operator tenant unless one with its slug was already
// created by hand, which it then leaves as it is.
func baseData(ctx context.Context, d seed.Deps) error {
	existing, err := d.Services.Tenants.GetBySlug(ctx, OperatorTenantSlug)
	switch {
	case err == nil:
		seed.Progress(ctx).Printf("operator tenant %q already exists (%s); kept", OperatorTenantSlug, existing.ID)
		return nil
	case !errors.Is(err, service.ErrNotFound):
		return err
	}
	id, err := entityid.ParseTenantID(OperatorTenantID)
	if err != nil {
		return err
	}
	_, err = d.Services.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{
		ID:          id,
		Slug:        OperatorTenantSlug,
		DisplayName: "Central Operations",
	})
	return err
}
