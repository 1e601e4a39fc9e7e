// Package sensitive keeps sensitive values out of logs and encrypts them at
// rest in PostgreSQL jsonb columns with envelope encryption.
//
// # Types
//
// [Sensitive] holds a plaintext value in memory and prints, logs and
// marshals as "[REDACTED]"; [Sensitive.Reveal] returns the value. [Sealed]
// is the stored form: an envelope holding only ciphertext, which implements
// driver.Valuer and sql.Scanner for a jsonb column. [SealAt] and [OpenAt]
// move between the two explicitly, in the service layer, with a [Keyring]
// and the value's [Place] (table, column, row ID): no global key state and
// no encryption hidden in a driver hook. [Seal] and [Open] do the same for a
// value not stored in a row.
//
// # Envelope
//
// Each value is JSON-encoded and encrypted with AES-256-GCM under a fresh
// random data key; the keeper of the keyring's current key wraps the data
// key. The stored JSON names its key and its place, so every row describes
// itself (format version 2):
//
//	{"v":2,"kid":"local-2026","kver":3,"tbl":"oidc_connectors","col":"state","row":"<uuid>",
//	 "wdk":"<b64 wrapped data key>","n":"<b64 nonce>","ct":"<b64 ciphertext+tag>"}
//
// The version, key id and version, table, column and row ID are the GCM
// additional data (length-prefixed). Editing the key makes the envelope fail
// to open ([ErrDecrypt]) even when both names resolve to the same keeper.
// An envelope copied into another row, column or table fails with
// [ErrMisplaced] (*[MisplacedError], which names both places) before any
// keeper call; if the recorded place was edited to match, with
// [ErrDecrypt]. [Seal] writes no tbl/col/row and binds the empty place.
//
// Version 1 envelopes (written before places; no tbl/col/row, additional
// data = key only) still open, anywhere. [NeedsRekey] reports them, and
// [RekeyAt] (`app db rekey`) rewrites them as version 2 bound to the row
// they are read from. Editing "v" to downgrade a version 2 envelope fails
// with [ErrDecrypt].
//
// # ent
//
// ent v0.14 generates invalid code for a generic instantiation used as a
// field type, so the schema names a defined type that embeds Sealed (its
// Value and Scan are promoted):
//
//	type SealedIdPUserInfo struct{ sensitive.Sealed[IdPUserInfo] }
//
//	field.Other("idp_user_info", jsonb.SealedIdPUserInfo{}).
//		SchemaType(map[string]string{dialect.Postgres: "jsonb"}).
//		Optional().Sensitive()
//
// Scan accepts NULL (the zero Sealed) and keeps a value that is not an
// envelope without failing the row; Open then reports [ErrMalformed]. A
// [Sensitive] passed to the database by mistake fails with
// [ErrPlaintextWrite] instead of storing "[REDACTED]".
//
// # Keys and rotation
//
// A [Keyring] maps key references ("kid:version", [KeyRef]) to keepers
// ([Keeper]; a gocloud.dev *secrets.Keeper satisfies it) and names the current
// one. Open uses whichever key the envelope names, so old keys keep working
// while they stay configured; [NeedsRekey] and [Rekey] move a value to the
// current key with a fresh data key. Package internal/sensitive/keyring opens
// keyrings from configuration (base64key://, hashivault://, ...).
//
// # Errors
//
// [ErrUnknownKey] (*[UnknownKeyError]): the envelope names a key the keyring
// lacks. [ErrDecrypt] (*[DecryptError]): wrong key or tampered envelope.
// [ErrKeeperUnavailable]: the key service could not be reached. [ErrMalformed]:
// the column does not hold an envelope. [ErrNull]: the column is NULL.
// [ErrMisplaced] (*[MisplacedError]): the envelope was sealed for another
// place. [ErrInvalidPlace]: the caller passed an incomplete [Place] (e.g. a
// zero row ID: set the row's ID before sealing). No error message holds
// plaintext.
//
// # Usage
//
//	at := sensitive.At(user.Table, user.FieldIdpUserInfo, id.UUID())
//	sealed, err := sensitive.SealAt(ctx, kr, at, info) // Sealed[jsonb.IdPUserInfo]
//	...
//	info, err := sensitive.OpenAt(ctx, kr, at, sealed)
//	view.IdPUserInfo = sensitive.New(info) // prints as [REDACTED]
package sensitive
