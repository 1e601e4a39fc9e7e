package rekey

import (
	"github.com/central/central/ent/oidcconnector"
	"github.com/central/central/ent/user"
	"github.com/central/central/internal/entmeta"
)

// SealedColumns returns the sealed columns the job walks.
//
// MERGE NOTE (coordinator): this is the only place the list exists, and it
// is temporary. When the generator's ent.SealedColumns() lands (derived from
// ent/schema), replace the body with `return ent.SealedColumns()` (or drop
// this function and provide ent.SealedColumns in Module and cmd/app). The
// rekey tests loop over whatever it returns.
func SealedColumns() []entmeta.SealedColumn {
	return []entmeta.SealedColumn{
		{Entity: "User", Table: user.Table, Column: user.FieldIdpUserInfo, IDColumn: user.FieldID, Optional: true},
		{Entity: "OIDCConnector", Table: oidcconnector.Table, Column: oidcconnector.FieldState, IDColumn: oidcconnector.FieldID},
	}
}
