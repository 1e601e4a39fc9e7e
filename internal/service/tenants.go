package service

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/central/central/ent"
	"github.com/central/central/ent/tenant"
	"github.com/central/central/internal/entityid"
)

// TenantStatus is a tenant's lifecycle state.
type TenantStatus string

// Tenant states.
const (
	TenantActive    TenantStatus = "active"
	TenantSuspended TenantStatus = "suspended"
)

// TenantPublic is what anyone allowed to see a tenant may see.
type TenantPublic struct {
	ID          entityid.TenantID
	Slug        string
	DisplayName string
	Status      TenantStatus
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// TenantPrivate is the internal view of a tenant. Tenants hold no sensitive
// field today, so it adds nothing yet; internal callers use it so that one
// can be added without changing them.
type TenantPrivate struct {
	TenantPublic
}

// toTenantPublic maps a stored tenant to its public view.
func toTenantPublic(t *ent.Tenant) TenantPublic {
	return TenantPublic{
		ID:          t.ID,
		Slug:        t.Slug,
		DisplayName: t.DisplayName,
		Status:      TenantStatus(t.Status),
		CreatedAt:   t.CreatedAt,
		UpdatedAt:   t.UpdatedAt,
	}
}

// toTenantPrivate maps a stored tenant to its private view.
func toTenantPrivate(t *ent.Tenant) TenantPrivate {
	return TenantPrivate{TenantPublic: toTenantPublic(t)}
}

// CreateTenantInput describes a new tenant.
type CreateTenantInput struct {
	// ID is optional: seeds pass fixed IDs; zero means a new one.
	ID          entityid.TenantID
	Slug        string
	DisplayName string
	// Status defaults to TenantActive.
	Status TenantStatus
}

// UpdateTenantInput changes the fields that are set (nil: unchanged).
type UpdateTenantInput struct {
	DisplayName *string
	Status      *TenantStatus
}

// TenantService manages tenants.
type TenantService struct{ base }

// NewTenantService returns the tenant service; its logger is named "tenants".
func NewTenantService(logger *zap.Logger, store Store, opts ...Option) (*TenantService, error) {
	b, err := newBase("tenants", logger, store, opts)
	if err != nil {
		return nil, err
	}
	return &TenantService{b}, nil
}

const entityTenant = "tenant"

// TxCreateTenant creates a tenant and its audit event in a transaction of
// its own (a savepoint when ctx already carries one). Errors: ErrConflict
// (slug or ID taken), ErrInvalid.
func (s *TenantService) TxCreateTenant(ctx context.Context, in CreateTenantInput) (TenantPrivate, error) {
	if err := validateTenantCreate(in); err != nil {
		return TenantPrivate{}, fmt.Errorf("create tenant: %w", err)
	}
	var out TenantPrivate
	err := s.write(ctx, func(ctx context.Context) error {
		w := s.store.Writer(ctx)
		c := w.Tenant.Create().SetSlug(in.Slug).SetDisplayName(in.DisplayName)
		if !in.ID.IsZero() {
			c.SetID(in.ID)
		}
		if in.Status != "" {
			c.SetStatus(tenant.Status(in.Status))
		}
		t, err := c.Save(ctx)
		if err != nil {
			return classify(entityTenant, "", err)
		}
		if err := s.audit.record(ctx, w, event{tenant: t.ID, action: "tenant.create", entity: t.ID.String(),
			details: map[string]string{"slug": t.Slug}}); err != nil {
			return err
		}
		out = toTenantPrivate(t)
		return nil
	})
	if err != nil {
		return TenantPrivate{}, fmt.Errorf("create tenant %q: %w", in.Slug, err)
	}
	s.log.Debug("tenant created", zap.Stringer("tenant_id", out.ID), zap.String("slug", out.Slug))
	return out, nil
}

// Get returns a tenant's public view. Errors: ErrNotFound.
func (s *TenantService) Get(ctx context.Context, id entityid.TenantID) (TenantPublic, error) {
	t, err := s.store.Reader(ctx).Tenant.Get(ctx, id)
	if err != nil {
		return TenantPublic{}, fmt.Errorf("get tenant: %w", classify(entityTenant, id.String(), err))
	}
	return toTenantPublic(t), nil
}

// GetPrivate returns a tenant's private view. Errors: ErrNotFound.
func (s *TenantService) GetPrivate(ctx context.Context, id entityid.TenantID) (TenantPrivate, error) {
	t, err := s.store.Reader(ctx).Tenant.Get(ctx, id)
	if err != nil {
		return TenantPrivate{}, fmt.Errorf("get tenant: %w", classify(entityTenant, id.String(), err))
	}
	return toTenantPrivate(t), nil
}

// GetBySlug returns the public view of the tenant with slug. Errors: ErrNotFound.
func (s *TenantService) GetBySlug(ctx context.Context, slug string) (TenantPublic, error) {
	if err := checkText(entityTenant, lookupOnly, "slug", slug); err != nil {
		return TenantPublic{}, fmt.Errorf("get tenant by slug: %w", err)
	}
	t, err := s.store.Reader(ctx).Tenant.Query().Where(tenant.Slug(slug)).Only(ctx)
	if err != nil {
		return TenantPublic{}, fmt.Errorf("get tenant by slug: %w", classify(entityTenant, fmt.Sprintf("with slug %q", slug), err))
	}
	return toTenantPublic(t), nil
}

// List returns tenants ordered by ID after the cursor (zero: from the start).
func (s *TenantService) List(ctx context.Context, after entityid.TenantID, limit int) (Page[TenantPublic, entityid.TenantID], error) {
	n, err := pageLimit(entityTenant, limit)
	if err != nil {
		return Page[TenantPublic, entityid.TenantID]{}, err
	}
	q := s.store.Reader(ctx).Tenant.Query().Order(ent.Asc(tenant.FieldID)).Limit(n + 1)
	if !after.IsZero() {
		q.Where(tenant.IDGT(after))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return Page[TenantPublic, entityid.TenantID]{}, fmt.Errorf("list tenants: %w", err)
	}
	return paginate(rows, n, toTenantPublic, func(t TenantPublic) entityid.TenantID { return t.ID }), nil
}

// Update changes a tenant's display name or status and audits it ("tenant.update").
// Errors: ErrNotFound, ErrInvalid.
func (s *TenantService) Update(ctx context.Context, id entityid.TenantID, in UpdateTenantInput) (TenantPublic, error) {
	if err := validateTenantUpdate(in); err != nil {
		return TenantPublic{}, fmt.Errorf("update tenant: %w", err)
	}
	var out TenantPublic
	err := s.write(ctx, func(ctx context.Context) error {
		w := s.store.Writer(ctx)
		u := w.Tenant.UpdateOneID(id)
		var changed []string
		if in.DisplayName != nil {
			u.SetDisplayName(*in.DisplayName)
			changed = append(changed, "display_name")
		}
		if in.Status != nil {
			u.SetStatus(tenant.Status(*in.Status))
			changed = append(changed, "status")
		}
		t, err := u.Save(ctx)
		if err != nil {
			return classify(entityTenant, id.String(), err)
		}
		if err := s.audit.record(ctx, w, event{tenant: t.ID, action: "tenant.update", entity: t.ID.String(),
			details: fieldsDetail(changed)}); err != nil {
			return err
		}
		out = toTenantPublic(t)
		return nil
	})
	if err != nil {
		return TenantPublic{}, fmt.Errorf("update tenant: %w", err)
	}
	return out, nil
}

// Delete removes a tenant with its users, tags, connectors and objects
// (ON DELETE CASCADE) and audits it ("tenant.delete"). Errors: ErrNotFound.
func (s *TenantService) Delete(ctx context.Context, id entityid.TenantID) error {
	err := s.write(ctx, func(ctx context.Context) error {
		w := s.store.Writer(ctx)
		if err := w.Tenant.DeleteOneID(id).Exec(ctx); err != nil {
			return classify(entityTenant, id.String(), err)
		}
		return s.audit.record(ctx, w, event{tenant: id, action: "tenant.delete", entity: id.String()})
	})
	if err != nil {
		return fmt.Errorf("delete tenant: %w", err)
	}
	return nil
}

// fieldsDetail lists the changed field names for an audit event.
func fieldsDetail(fields []string) map[string]string {
	if len(fields) == 0 {
		return nil
	}
	s := fields[0]
	for _, f := range fields[1:] {
		s += "," + f
	}
	return map[string]string{"fields": s}
}
