package service

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/central/central/ent"
	"github.com/central/central/ent/auditevent"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
)

// recorder writes audit events through the writer of ctx, so an event
// commits or rolls back with the write it describes.
type recorder struct {
	now func() time.Time
}

// event is one audit record before it is written.
type event struct {
	tenant  entityid.TenantID // every event is a row of its tenant (row-level security)
	action  string            // "<entity>.<verb>", e.g. "tenant.create"
	entity  string            // rich ID of the entity written
	details jsonb.AuditDetails
}

func (r recorder) record(ctx context.Context, w *ent.Client, e event) error {
	c := w.ForTenant(e.tenant).AuditEvent.Create().
		SetActor(ActorFrom(ctx)).
		SetAction(e.action).
		SetEntityID(e.entity).
		SetAt(r.now())
	if len(e.details) > 0 {
		c.SetDetails(e.details)
	}
	if err := c.Exec(ctx); err != nil {
		return fmt.Errorf("record audit event %s of %s: %w", e.action, e.entity, err)
	}
	return nil
}

// AuditEvent is one audited write.
type AuditEvent struct {
	ID       entityid.AuditEventID
	TenantID *entityid.TenantID // nil for writes outside any tenant
	Actor    string             // "" when unknown
	Action   string             // e.g. "user.create"
	EntityID string             // rich ID of the entity written
	At       time.Time
	Details  map[string]string // never sensitive values
}

func toAuditEvent(e *ent.AuditEvent) AuditEvent {
	return AuditEvent{
		ID:       e.ID,
		TenantID: e.TenantID,
		Actor:    e.Actor,
		Action:   e.Action,
		EntityID: e.EntityID,
		At:       e.At,
		Details:  e.Details,
	}
}

// AuditService reads the audit trail. Events are written by the other
// services, never through this one.
type AuditService struct{ base }

// NewAuditService returns the audit trail reader.
func NewAuditService(logger *zap.Logger, store Store, opts ...Option) (*AuditService, error) {
	b, err := newBase("audit", logger, store, opts)
	if err != nil {
		return nil, err
	}
	return &AuditService{b}, nil
}

// List returns a tenant's audit events in ID order (the order they were
// recorded in, unless a clock or fixed IDs were injected), after the cursor.
func (s *AuditService) List(ctx context.Context, tenantID entityid.TenantID, after entityid.AuditEventID, limit int) (Page[AuditEvent, entityid.AuditEventID], error) {
	n, err := pageLimit("audit_event", limit)
	if err != nil {
		return Page[AuditEvent, entityid.AuditEventID]{}, err
	}
	q := s.store.Reader(ctx).ForTenant(tenantID).AuditEvent.Query().
		Order(ent.Asc(auditevent.FieldID)).
		Limit(n + 1)
	if !after.IsZero() {
		q.Where(auditevent.IDGT(after))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return Page[AuditEvent, entityid.AuditEventID]{}, fmt.Errorf("list audit events of %s: %w", tenantID, err)
	}
	return paginate(rows, n, toAuditEvent, func(e AuditEvent) entityid.AuditEventID { return e.ID }), nil
}

// ForEntity returns every event about one entity (by rich ID) of tenantID,
// oldest first. The tenant is required: audit_events is under row-level
// security like every tenant-owned table, so a trail is read within its
// tenant (an operator's cross-tenant read connects as the cross-tenant role;
// see internal/tenantctx).
func (s *AuditService) ForEntity(ctx context.Context, tenantID entityid.TenantID, entityID string) ([]AuditEvent, error) {
	rows, err := s.store.Reader(ctx).ForTenant(tenantID).AuditEvent.Query().
		Where(auditevent.EntityID(entityID)).
		Order(ent.Asc(auditevent.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list audit events of %s: %w", entityID, err)
	}
	out := make([]AuditEvent, len(rows))
	for i, r := range rows {
		out[i] = toAuditEvent(r)
	}
	return out, nil
}
