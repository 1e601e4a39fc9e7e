package tenantctx

import (
	"context"

	"github.com/jackc/pgx/v5/pgtype"
)

// Setting is the name of the transaction-local setting the row-level
// security policies read: current_setting('app.tenant_id', true).
const Setting = "app.tenant_id"

// SetSQL sets the tenant ($1, an ID's String) for the current transaction
// only (is_local true): the setting ends with the transaction, so nothing
// stays on a pooled connection (or a PgBouncer server connection in
// transaction mode) for the next user. internal/pgxdriver queues it in one
// batch before each tenant statement; internal/tracing recognises it there
// as plumbing that gets no span of its own.
const SetSQL = "SELECT set_config('" + Setting + "', $1, true)"

// ClearSQL empties the tenant for the rest of the current transaction, for
// code that sets it by hand on a connection (SetSQL) and must not leave later
// statements of that transaction silently scoped.
const ClearSQL = "SELECT set_config('" + Setting + "', '', true)"

type key struct{}

// ID is a tenant's 16-byte UUID (entityid.TenantID converts to it).
type ID [16]byte

// With returns ctx carrying tenant id: statements run with it see and write
// only that tenant's rows.
func With[T ~[16]byte](ctx context.Context, id T) context.Context {
	return context.WithValue(ctx, key{}, ID(id))
}

// From returns the tenant carried by ctx, if any.
func From(ctx context.Context) (ID, bool) {
	id, ok := ctx.Value(key{}).(ID)
	return id, ok
}

// String returns the canonical lower-case UUID text of id: the value of the
// setting.
func (id ID) String() string { return pgtype.UUID{Bytes: id, Valid: true}.String() }
