package richid_test

import "github.com/central/central/internal/richid"

// Kinds and an entity ID type shaped like the ones internal/ids declares.

type testKind struct{}

func (testKind) Prefix() string { return "test" }

type tenantKind struct{}

func (tenantKind) Prefix() string { return "tenant" }

type userKind struct{}

func (userKind) Prefix() string { return "user" }

// testID embeds richid.ID the way entity ID types do.
type testID struct{ richid.ID[testKind] }

// TenantID is used by the examples.
type TenantID struct{ richid.ID[tenantKind] }
