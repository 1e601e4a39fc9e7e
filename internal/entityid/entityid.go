package entityid

import "github.com/central/central/internal/richid"

// The kinds below are zero-size markers that carry each entity's prefix into
// richid.ID. They are unexported so that the only way to build an ID is through
// this package's constructors or richid's parsing.

type tenantKind struct{}

// Prefix implements richid.Kind.
func (tenantKind) Prefix() string { return "tenant" }

// TenantID identifies a Tenant; it formats as "tenant-<ULID>".
type TenantID struct{ richid.ID[tenantKind] }

// NewTenantID returns a new, time-ordered TenantID from the process-wide generator.
func NewTenantID() TenantID { return TenantID{richid.New[tenantKind](richid.Default())} }

// ParseTenantID parses "tenant-<ULID>"; errors match richid.ErrInvalid.
func ParseTenantID(s string) (TenantID, error) {
	id, err := richid.Parse[tenantKind](s)
	return TenantID{id}, err
}

// TenantIDFromUUID wraps the 16 bytes stored in PostgreSQL.
func TenantIDFromUUID(u [16]byte) TenantID { return TenantID{richid.FromUUID[tenantKind](u)} }

type userKind struct{}

// Prefix implements richid.Kind.
func (userKind) Prefix() string { return "user" }

// UserID identifies a User; it formats as "user-<ULID>".
type UserID struct{ richid.ID[userKind] }

// NewUserID returns a new, time-ordered UserID from the process-wide generator.
func NewUserID() UserID { return UserID{richid.New[userKind](richid.Default())} }

// ParseUserID parses "user-<ULID>"; errors match richid.ErrInvalid.
func ParseUserID(s string) (UserID, error) {
	id, err := richid.Parse[userKind](s)
	return UserID{id}, err
}

// UserIDFromUUID wraps the 16 bytes stored in PostgreSQL.
func UserIDFromUUID(u [16]byte) UserID { return UserID{richid.FromUUID[userKind](u)} }

type userTagKind struct{}

// Prefix implements richid.Kind.
func (userTagKind) Prefix() string { return "user_tag" }

// UserTagID identifies a UserTag; it formats as "user_tag-<ULID>".
type UserTagID struct{ richid.ID[userTagKind] }

// NewUserTagID returns a new, time-ordered UserTagID from the process-wide generator.
func NewUserTagID() UserTagID { return UserTagID{richid.New[userTagKind](richid.Default())} }

// ParseUserTagID parses "user_tag-<ULID>"; errors match richid.ErrInvalid.
func ParseUserTagID(s string) (UserTagID, error) {
	id, err := richid.Parse[userTagKind](s)
	return UserTagID{id}, err
}

// UserTagIDFromUUID wraps the 16 bytes stored in PostgreSQL.
func UserTagIDFromUUID(u [16]byte) UserTagID { return UserTagID{richid.FromUUID[userTagKind](u)} }

type oidcConnectorKind struct{}

// Prefix implements richid.Kind.
func (oidcConnectorKind) Prefix() string { return "oidc_connector" }

// OIDCConnectorID identifies a OIDCConnector; it formats as "oidc_connector-<ULID>".
type OIDCConnectorID struct{ richid.ID[oidcConnectorKind] }

// NewOIDCConnectorID returns a new, time-ordered OIDCConnectorID from the process-wide generator.
func NewOIDCConnectorID() OIDCConnectorID {
	return OIDCConnectorID{richid.New[oidcConnectorKind](richid.Default())}
}

// ParseOIDCConnectorID parses "oidc_connector-<ULID>"; errors match richid.ErrInvalid.
func ParseOIDCConnectorID(s string) (OIDCConnectorID, error) {
	id, err := richid.Parse[oidcConnectorKind](s)
	return OIDCConnectorID{id}, err
}

// OIDCConnectorIDFromUUID wraps the 16 bytes stored in PostgreSQL.
func OIDCConnectorIDFromUUID(u [16]byte) OIDCConnectorID {
	return OIDCConnectorID{richid.FromUUID[oidcConnectorKind](u)}
}

type storedObjectKind struct{}

// Prefix implements richid.Kind.
func (storedObjectKind) Prefix() string { return "stored_object" }

// StoredObjectID identifies a StoredObject; it formats as "stored_object-<ULID>".
type StoredObjectID struct{ richid.ID[storedObjectKind] }

// NewStoredObjectID returns a new, time-ordered StoredObjectID from the process-wide generator.
func NewStoredObjectID() StoredObjectID {
	return StoredObjectID{richid.New[storedObjectKind](richid.Default())}
}

// ParseStoredObjectID parses "stored_object-<ULID>"; errors match richid.ErrInvalid.
func ParseStoredObjectID(s string) (StoredObjectID, error) {
	id, err := richid.Parse[storedObjectKind](s)
	return StoredObjectID{id}, err
}

// StoredObjectIDFromUUID wraps the 16 bytes stored in PostgreSQL.
func StoredObjectIDFromUUID(u [16]byte) StoredObjectID {
	return StoredObjectID{richid.FromUUID[storedObjectKind](u)}
}

type seedKind struct{}

// Prefix implements richid.Kind.
func (seedKind) Prefix() string { return "seed" }

// SeedID identifies a Seed; it formats as "seed-<ULID>".
type SeedID struct{ richid.ID[seedKind] }

// NewSeedID returns a new, time-ordered SeedID from the process-wide generator.
func NewSeedID() SeedID { return SeedID{richid.New[seedKind](richid.Default())} }

// ParseSeedID parses "seed-<ULID>"; errors match richid.ErrInvalid.
func ParseSeedID(s string) (SeedID, error) {
	id, err := richid.Parse[seedKind](s)
	return SeedID{id}, err
}

// SeedIDFromUUID wraps the 16 bytes stored in PostgreSQL.
func SeedIDFromUUID(u [16]byte) SeedID { return SeedID{richid.FromUUID[seedKind](u)} }

type auditEventKind struct{}

// Prefix implements richid.Kind.
func (auditEventKind) Prefix() string { return "audit_event" }

// AuditEventID identifies a AuditEvent; it formats as "audit_event-<ULID>".
type AuditEventID struct{ richid.ID[auditEventKind] }

// NewAuditEventID returns a new, time-ordered AuditEventID from the process-wide generator.
func NewAuditEventID() AuditEventID {
	return AuditEventID{richid.New[auditEventKind](richid.Default())}
}

// ParseAuditEventID parses "audit_event-<ULID>"; errors match richid.ErrInvalid.
func ParseAuditEventID(s string) (AuditEventID, error) {
	id, err := richid.Parse[auditEventKind](s)
	return AuditEventID{id}, err
}

// AuditEventIDFromUUID wraps the 16 bytes stored in PostgreSQL.
func AuditEventIDFromUUID(u [16]byte) AuditEventID {
	return AuditEventID{richid.FromUUID[auditEventKind](u)}
}
