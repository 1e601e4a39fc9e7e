// Package service is Central's business layer over the generated ent
// client: tenants, users with their tags, OIDC connectors and stored
// objects, each behind a service that takes and returns typed rich IDs
// (package entityid) and domain views, never ent types.
//
// # Construction
//
// Every constructor takes a *zap.Logger, the [Store] (the *db.DB: reads
// through Reader(ctx), writes through Writer(ctx)) and, for services with
// sealed columns, the *sensitive.Keyring; each names its component logger
// after itself ("tenants", "users", "oidc_connectors", "stored_objects").
// [NewServices] builds them all and [Module] provides them to fx:
//
//	fx.New(db.Module, fx.Provide(newKeyring), service.Module, fx.Invoke(func(s *service.Services) { ... }))
//
// # Transactions
//
// The transaction travels in the context (see db.WithTx); there is no
// executor parameter. Reads use the read-only client, or the transaction's
// read-only view inside one (so they see its writes). Writes use the
// read-write client or the transaction's.
//
//   - Every write method runs in a transaction of its own, or, when ctx
//     carries the caller's transaction, in a SAVEPOINT of it: the row and its
//     audit event always commit together, and a failure (ErrConflict,
//     ErrInvalid) rolls back only that call, leaving the caller's
//     transaction usable.
//   - Tx-prefixed methods (TxCreateTenant, TxCreateUser) are the ones that
//     make several writes as one unit (a tenant, or a user with its tags).
//
// Composing calls:
//
//	err := store.WithTx(ctx, func(ctx context.Context) error {
//		t, err := svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "acme", DisplayName: "Acme"})
//		if err != nil {
//			return err
//		}
//		_, err = svc.Users.TxCreateUser(ctx, t.ID, service.CreateUserInput{Email: "ann@acme.example"})
//		return err // an error rolls back both, audit events included
//	})
//
// # Views
//
// Each entity has a public view (UserPublic, ...), which never holds a
// sensitive field, and a private view for internal callers (UserPrivate,
// ...). Private views of users and connectors carry the decrypted
// idp_user_info and state as sensitive.Sensitive values, which print, log
// and marshal as "[REDACTED]"; call Reveal to use them. Sealing happens
// before the transaction starts, so a failing key service writes nothing.
//
// # Tenant scoping
//
// Every user, tag, connector, object and audit method takes the tenant ID
// and reaches tenant-owned rows only through the generated scope,
// client.ForTenant(tid).<Entity> (derived from mixin.TenantOwned in
// ent/schema), never with a hand-written tenant predicate: an ID of another
// tenant's entity is [ErrNotFound], exactly like a missing one. A test reads
// this package's source and fails on an unscoped operation on a tenant-owned
// entity; the two deliberate exceptions carry a "central:unscoped" comment.
//
// # Audit
//
// Every write records an audit event (actor from [WithActor], action such
// as "user.create", the entity's rich ID, time, non-sensitive details) in
// the write's transaction. [AuditService] reads the trail.
//
// # Errors
//
// Branch with errors.Is on [ErrNotFound] (404), [ErrConflict] (409: unique
// violation, SQLSTATE 23505; *[ConflictError] names the fields) and
// [ErrInvalid] (400: ent validators, CHECK violations 23514, bad page
// limits; *[InvalidError] names the field or constraint). Decryption
// failures wrap the sensitive package's errors (sensitive.ErrUnknownKey,
// sensitive.ErrDecrypt).
//
// # Edge validation and limits
//
// Every write method validates its text before any SQL (validate.go):
// valid UTF-8, no NUL, lengths in the unit of the column's rule (characters
// for sizes and char_length CHECKs, bytes for octet_length ones, derived
// from ent/migrate), and non-blank columns refuse every Unicode space. It
// also enforces the declared limits [MaxTagsPerUser],
// [MaxScopesPerConnector], [MaxScopeChars], [MaxClientSecretBytes] and
// [MaxUserPageLimit]. A database error the checks missed that is about the
// input's bytes or size (SQLSTATE 22021, 22P05, class 54) is an
// *[InvalidError] too.
//
// # Pagination
//
// List methods page by ID: pass the zero ID for the first page and
// Page.Next for the following ones; limit 0 means [DefaultLimit], at most
// [MaxLimit].
package service
