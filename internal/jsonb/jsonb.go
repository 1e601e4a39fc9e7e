package jsonb

import (
	"time"

	"github.com/central/central/internal/sensitive"
)

// IdPUserInfo is what the identity provider told us about a user at sign-in.
// Sensitive: it can hold personal data and group memberships.
type IdPUserInfo struct {
	Subject       string         `json:"sub"`
	Issuer        string         `json:"iss"`
	Email         string         `json:"email,omitempty"`
	EmailVerified bool           `json:"email_verified,omitempty"`
	Name          string         `json:"name,omitempty"`
	Groups        []string       `json:"groups,omitempty"`
	Claims        map[string]any `json:"claims,omitempty"`
}

// OIDCConnectorState is a connector's secret configuration and the state it
// keeps between sign-ins. Sensitive: it holds the client secret.
type OIDCConnectorState struct {
	ClientSecret string    `json:"client_secret"`
	Scopes       []string  `json:"scopes,omitempty"`
	JWKSURI      string    `json:"jwks_uri,omitempty"`
	DiscoveredAt time.Time `json:"discovered_at,omitzero"`
}

// AuditDetails carries optional structured context of an audit event; it must
// never hold sensitive values.
type AuditDetails map[string]string

// The sealed types below are what the ent schema stores: envelope-encrypted
// JSONB (see internal/sensitive). They are defined types rather than aliases
// of sensitive.Sealed[T] because ent's code generator names field types by
// their reflected name, which for an instantiated generic is not valid Go.

// SealedIdPUserInfo is an IdPUserInfo sealed for storage.
type SealedIdPUserInfo struct {
	sensitive.Sealed[IdPUserInfo]
}

// SealedOIDCConnectorState is an OIDCConnectorState sealed for storage.
type SealedOIDCConnectorState struct {
	sensitive.Sealed[OIDCConnectorState]
}
