// Package keyring opens a sensitive.Keyring from configuration: keepers from
// gocloud.dev/secrets URLs, named by key id and version.
//
// # Configuration format
//
// Two strings, normally the environment variables SENSITIVE_KEYS and
// SENSITIVE_CURRENT_KEY, parsed by [ParseSpec]:
//
//	SENSITIVE_KEYS="local-2026:1=base64key://<key>, local-2026:2=base64key://<key>, vault:1=hashivault://central"
//	SENSITIVE_CURRENT_KEY=local-2026:2
//
// SENSITIVE_KEYS lists kid:version=URL entries separated by commas and/or
// white space. A key id is 1-64 characters from [A-Za-z0-9._-]; a version is a
// positive integer. SENSITIVE_CURRENT_KEY names the key new values are sealed
// under; it may be left empty when exactly one key is configured. Every
// configured key can open values; keep a retired key configured until
// `db rekey` has re-sealed every value under the current one.
//
// # Keeper URLs
//
//   - base64key://<32 bytes, URL-safe base64 with padding> — a local key,
//     wrapping data keys as gocloud's localsecrets does (NaCl secretbox,
//     nonce in front) but without gocloud's per-call tracing wrapper (see
//     [NewLocalKeeper]); with [WithURLMux] the mux opens it instead. An
//     empty key is rejected (gocloud would make a random one at every start). Make one with
//     `head -c32 /dev/urandom | basenc --base64url` or [LocalKeyURL].
//   - hashivault://<transit key name>[?engine=<mount>] — a HashiCorp Vault
//     transit key. The Vault client comes from [WithVaultClient] or else from
//     Vault's environment (VAULT_ADDR, VAULT_TOKEN, ...).
//   - Cloud KMS (awskms://, gcpkms://, azurekeyvault://) are not linked in by
//     default to keep the build small: import the gocloud.dev/secrets driver in
//     main and pass [WithURLMux](secrets.DefaultURLMux()).
//
// Key material never appears in errors or in the String, GoString or
// LogValue of a [Spec].
//
// # Errors
//
// Configuration errors wrap [ErrInvalidSpec]. The [Keeper] adapter marks key
// service failures (network, 5xx, permission, quota, cancellation) with
// sensitive.ErrKeeperUnavailable, so that they are not reported as a wrong key
// (sensitive.ErrDecrypt).
//
// # Usage
//
//	spec, err := keyring.ParseSpec(cfg.Sensitive.Keys.Reveal(), cfg.Sensitive.CurrentKey.Reveal())
//	if err != nil { ... }
//	kr, err := keyring.Open(ctx, spec)
//	if err != nil { ... }
//	defer kr.Close()
//	if err := kr.Check(ctx); err != nil { ... } // probes every key service
//
// With fx, provide a [Spec] and add [Module].
package keyring
