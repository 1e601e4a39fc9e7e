package entmeta

// Tenancy says whether an entity's rows belong to one tenant.
type Tenancy int

const (
	// Global rows belong to no tenant (tenants, seeds, app_meta, ...).
	Global Tenancy = iota
	// TenantOwned rows carry a non-null tenant_id and are visible only
	// within that tenant's scope.
	TenantOwned
	// TenantOwnedVia rows belong to the tenant of their parent, reached
	// through the edge named in Entity.Via (a user's tags): they have no
	// tenant column of their own.
	TenantOwnedVia
)

func (t Tenancy) String() string {
	switch t {
	case Global:
		return "global"
	case TenantOwned:
		return "tenant-owned"
	case TenantOwnedVia:
		return "tenant-owned-via-parent"
	}
	return "unknown"
}

// Entity describes one ent schema type as the generator saw it.
type Entity struct {
	Name         string  // Go type name, e.g. "OIDCConnector"
	Table        string  // SQL table, e.g. "oidc_connectors"
	Prefix       string  // rich-ID prefix, e.g. "oidc_connector"
	IDColumn     string  // primary-key column, e.g. "id"
	Tenancy      Tenancy // Global, TenantOwned or TenantOwnedVia
	TenantColumn string  // TenantOwned: the tenant column (mixin.TenantIDField); "" otherwise
	// TenantOptional: tenant_id may be NULL (rows outside any tenant, invisible to every tenant scope).
	TenantOptional bool
	Via            string // TenantOwnedVia: the edge to the owning parent, e.g. "user"
	ViaColumn      string // TenantOwnedVia: the edge's foreign-key column, e.g. "user_id"
	Parent         string // TenantOwnedVia: the parent's Go type name, e.g. "User"
	Sealed         []SealedColumn
}

// SealedColumn is one envelope-encrypted JSONB column.
type SealedColumn struct {
	Entity   string // Go type name of the owning entity
	Table    string // SQL table
	Column   string // SQL column
	IDColumn string // primary-key column the envelope is bound to ("id")
	Optional bool   // NULL allowed
}

// String returns "table.column".
func (c SealedColumn) String() string { return c.Table + "." + c.Column }
