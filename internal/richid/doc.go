// Package richid provides typed "rich" IDs: ULIDs stored in PostgreSQL uuid columns and shown outside as
// "<prefix>-<26 Crockford base32 characters>", e.g. "tenant-01H2XVNZ7C9NXWK3TMCRD9QWMN".
//
// # Types
//
// [ID] is generic over a [Kind], a zero-size marker type that names the prefix. Each entity gets its own named
// type that embeds an ID, so that passing a user's ID where a tenant's is expected does not compile:
//
//	type tenantKind struct{}
//
//	func (tenantKind) Prefix() string { return "tenant" }
//
//	type TenantID struct{ richid.ID[tenantKind] }
//
// All methods are promoted through the embedding: value methods (String, MarshalText, Value, UUIDValue, ...)
// on TenantID, pointer methods (UnmarshalText, Scan, ScanUUID) on *TenantID.
//
// Types that ent uses as ID or foreign-key fields must instead be defined [16]byte types whose methods delegate
// to ID (internal/entityid generates them): ent's reflection-based scanning (Query().IDs, Select().Scan) treats a
// UUID column as a scalar only for byte arrays, and mistakes a struct for a row to scan column by column.
//
// # Usage
//
//	id := TenantID{richid.New[tenantKind](richid.Default())}
//	fmt.Println(id)               // tenant-01H2XVNZ7C9NXWK3TMCRD9QWMN
//	fmt.Println(id.UUIDString())  // 0188bbba-fcec-4d7b-c98f-54661a9bf295
//
//	parsed, err := richid.Parse[tenantKind]("tenant-01h2xvnz7c9nxwk3tmcrd9qwmn") // any case
//	if errors.Is(err, richid.ErrInvalid) { ... }
//
//	_, err = pool.Exec(ctx, "INSERT INTO tenants (id) VALUES ($1)", id) // binary uuid
//	logger.Info("created", zap.Stringer("tenant", id))
//
// # Text form
//
// [Parse] accepts the base32 part in any case and formats it uppercase. The prefix must match exactly. Crockford's
// aliases (I, L for 1 and O for 0) are rejected, as oklog/ulid does, so that an ID has one spelling up to case.
// The first base32 character must be at most '7' (26 characters carry 130 bits, a ULID 128). Every failure is a
// [*ParseError] that matches [ErrInvalid] and quotes the input (cut at 64 bytes).
//
// # Database
//
// Value returns the canonical UUID text (never []byte, which would be sent as bytea); pgx skips it and uses
// UUIDValue/ScanUUID to move the 16 bytes as a binary uuid. Scan reads UUID text or 16 raw bytes. NULL into a
// non-pointer ID is an error matching [ErrNull]: use a pointer for nullable columns.
//
// # Logging
//
// ID is a fmt.Stringer, so zap.Any, zap.Stringer and [Field] log the rich form, formatted only when the entry
// is written.
//
// # Prefixes
//
// A prefix is 1 to 32 characters from a-z, 0-9 and '_', starting with a letter and not ending with '_'.
// [ValidatePrefix] checks this; the ent code generator calls it, so Parse and String do not re-check at run time.
//
// # Generation
//
// A [Generator] makes strictly increasing IDs, safe for concurrent use, with clock and entropy injected.
// [Default] is the one process-wide Generator (time.Now, crypto/rand), built lazily for the code that has no
// place to inject one, such as ent field defaults.
package richid
