package service

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/central/central/ent"
	"github.com/central/central/ent/storedobject"
	"github.com/central/central/internal/entityid"
)

// ObjectPublic is a stored object as tenants see it: what it is, not where
// it lives.
type ObjectPublic struct {
	ID          entityid.StoredObjectID
	TenantID    entityid.TenantID
	ContentType string
	SizeBytes   int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ObjectPrivate adds the storage location, for internal callers (presigning,
// deletion from the bucket).
type ObjectPrivate struct {
	ObjectPublic
	Bucket     string
	ObjectName string
}

func toObjectPublic(o *ent.StoredObject) ObjectPublic {
	return ObjectPublic{
		ID:          o.ID,
		TenantID:    o.TenantID,
		ContentType: o.ContentType,
		SizeBytes:   o.SizeBytes,
		CreatedAt:   o.CreatedAt,
		UpdatedAt:   o.UpdatedAt,
	}
}

func toObjectPrivate(o *ent.StoredObject) ObjectPrivate {
	return ObjectPrivate{ObjectPublic: toObjectPublic(o), Bucket: o.Bucket, ObjectName: o.ObjectName}
}

// CreateObjectInput describes a stored object.
type CreateObjectInput struct {
	ID          entityid.StoredObjectID // optional; zero means a new one
	Bucket      string
	ObjectName  string
	ContentType string // default application/octet-stream
	SizeBytes   int64
}

// UpdateObjectInput changes the fields that are set (nil: unchanged).
type UpdateObjectInput struct {
	ContentType *string
	SizeBytes   *int64
}

// ObjectService manages the records of a tenant's stored objects.
type ObjectService struct{ base }

// NewObjectService returns the stored-object service; its logger is named
// "stored_objects".
func NewObjectService(logger *zap.Logger, store Store, opts ...Option) (*ObjectService, error) {
	b, err := newBase("stored_objects", logger, store, opts)
	if err != nil {
		return nil, err
	}
	return &ObjectService{b}, nil
}

const entityObject = "stored_object"

// Create records an object and audits "stored_object.create". Errors:
// ErrNotFound (no such tenant), ErrConflict (location taken), ErrInvalid.
func (s *ObjectService) Create(ctx context.Context, tenantID entityid.TenantID, in CreateObjectInput) (ObjectPrivate, error) {
	if err := validateObjectCreate(in); err != nil {
		return ObjectPrivate{}, fmt.Errorf("create stored object: %w", err)
	}
	var out ObjectPrivate
	err := s.write(ctx, func(ctx context.Context) error {
		w := s.store.Writer(ctx)
		c := w.ForTenant(tenantID).StoredObject.Create().
			SetBucket(in.Bucket).
			SetObjectName(in.ObjectName).
			SetSizeBytes(in.SizeBytes)
		if in.ContentType != "" {
			c.SetContentType(in.ContentType)
		}
		if !in.ID.IsZero() {
			c.SetID(in.ID)
		}
		o, err := c.Save(ctx)
		if isForeignKeyViolation(err) {
			return notFound(entityTenant, tenantID.String())
		}
		if err != nil {
			return classify(entityObject, "", err)
		}
		if err := s.audit.record(ctx, w, event{tenant: tenantID, action: "stored_object.create", entity: o.ID.String()}); err != nil {
			return err
		}
		out = toObjectPrivate(o)
		return nil
	})
	if err != nil {
		return ObjectPrivate{}, fmt.Errorf("create stored object: %w", err)
	}
	return out, nil
}

func (s *ObjectService) get(ctx context.Context, tenantID entityid.TenantID, id entityid.StoredObjectID) (*ent.StoredObject, error) {
	o, err := s.store.Reader(ctx).ForTenant(tenantID).StoredObject.Query().
		Where(storedobject.ID(id)).
		Only(ctx)
	if err != nil {
		return nil, classify(entityObject, id.String(), err)
	}
	return o, nil
}

// Get returns an object's public view. Errors: ErrNotFound.
func (s *ObjectService) Get(ctx context.Context, tenantID entityid.TenantID, id entityid.StoredObjectID) (ObjectPublic, error) {
	o, err := s.get(ctx, tenantID, id)
	if err != nil {
		return ObjectPublic{}, fmt.Errorf("get stored object: %w", err)
	}
	return toObjectPublic(o), nil
}

// GetPrivate returns an object with its storage location. Errors: ErrNotFound.
func (s *ObjectService) GetPrivate(ctx context.Context, tenantID entityid.TenantID, id entityid.StoredObjectID) (ObjectPrivate, error) {
	o, err := s.get(ctx, tenantID, id)
	if err != nil {
		return ObjectPrivate{}, fmt.Errorf("get stored object: %w", err)
	}
	return toObjectPrivate(o), nil
}

// List returns the tenant's objects ordered by ID after the cursor.
func (s *ObjectService) List(ctx context.Context, tenantID entityid.TenantID, after entityid.StoredObjectID, limit int) (Page[ObjectPublic, entityid.StoredObjectID], error) {
	n, err := pageLimit(entityObject, limit)
	if err != nil {
		return Page[ObjectPublic, entityid.StoredObjectID]{}, err
	}
	q := s.store.Reader(ctx).ForTenant(tenantID).StoredObject.Query().
		Order(ent.Asc(storedobject.FieldID)).
		Limit(n + 1)
	if !after.IsZero() {
		q.Where(storedobject.IDGT(after))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return Page[ObjectPublic, entityid.StoredObjectID]{}, fmt.Errorf("list stored objects of %s: %w", tenantID, err)
	}
	return paginate(rows, n, toObjectPublic, func(o ObjectPublic) entityid.StoredObjectID { return o.ID }), nil
}

// Update changes an object's content type or size and audits
// "stored_object.update". Errors: ErrNotFound, ErrInvalid.
func (s *ObjectService) Update(ctx context.Context, tenantID entityid.TenantID, id entityid.StoredObjectID, in UpdateObjectInput) (ObjectPublic, error) {
	if err := validateObjectUpdate(in); err != nil {
		return ObjectPublic{}, fmt.Errorf("update stored object: %w", err)
	}
	var out ObjectPublic
	err := s.write(ctx, func(ctx context.Context) error {
		w := s.store.Writer(ctx)
		u := w.ForTenant(tenantID).StoredObject.UpdateOneID(id)
		var changed []string
		if in.ContentType != nil {
			u.SetContentType(*in.ContentType)
			changed = append(changed, "content_type")
		}
		if in.SizeBytes != nil {
			u.SetSizeBytes(*in.SizeBytes)
			changed = append(changed, "size_bytes")
		}
		o, err := u.Save(ctx)
		if err != nil {
			return classify(entityObject, id.String(), err)
		}
		if err := s.audit.record(ctx, w, event{tenant: tenantID, action: "stored_object.update", entity: id.String(),
			details: fieldsDetail(changed)}); err != nil {
			return err
		}
		out = toObjectPublic(o)
		return nil
	})
	if err != nil {
		return ObjectPublic{}, fmt.Errorf("update stored object: %w", err)
	}
	return out, nil
}

// Delete removes an object's record and audits "stored_object.delete"
// (the bytes in the bucket are the caller's to remove). Errors: ErrNotFound.
func (s *ObjectService) Delete(ctx context.Context, tenantID entityid.TenantID, id entityid.StoredObjectID) error {
	err := s.write(ctx, func(ctx context.Context) error {
		w := s.store.Writer(ctx)
		n, err := w.ForTenant(tenantID).StoredObject.Delete().Where(storedobject.ID(id)).Exec(ctx)
		if err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		if n == 0 {
			return notFound(entityObject, id.String())
		}
		return s.audit.record(ctx, w, event{tenant: tenantID, action: "stored_object.delete", entity: id.String()})
	})
	if err != nil {
		return fmt.Errorf("delete stored object: %w", err)
	}
	return nil
}
