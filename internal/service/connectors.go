package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/central/central/ent"
	"github.com/central/central/ent/oidcconnector"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/sensitive"
)

// ConnectorPublic is an OIDC connector without its sensitive state.
type ConnectorPublic struct {
	ID        entityid.OIDCConnectorID
	TenantID  entityid.TenantID
	Name      string
	Issuer    string
	ClientID  string
	Enabled   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ConnectorPrivate adds the decrypted state (client secret, ...), for
// internal callers. State stays redacted when printed, logged or marshaled.
type ConnectorPrivate struct {
	ConnectorPublic
	State sensitive.Sensitive[jsonb.OIDCConnectorState]
}

func toConnectorPublic(c *ent.OIDCConnector) ConnectorPublic {
	return ConnectorPublic{
		ID:        c.ID,
		TenantID:  c.TenantID,
		Name:      c.Name,
		Issuer:    c.Issuer,
		ClientID:  c.ClientID,
		Enabled:   c.Enabled,
		CreatedAt: c.CreatedAt,
		UpdatedAt: c.UpdatedAt,
	}
}

func toConnectorPrivate(ctx context.Context, kr *sensitive.Keyring, c *ent.OIDCConnector) (ConnectorPrivate, error) {
	st, err := sensitive.OpenAt(ctx, kr, stateAt(c.ID), c.State.Sealed)
	if err != nil {
		return ConnectorPrivate{}, fmt.Errorf("open state of %s: %w", c.ID, err)
	}
	return ConnectorPrivate{ConnectorPublic: toConnectorPublic(c), State: sensitive.New(st)}, nil
}

// CreateConnectorInput describes a new OIDC connector.
type CreateConnectorInput struct {
	ID       entityid.OIDCConnectorID // optional; zero means a new one
	Name     string
	Issuer   string
	ClientID string
	Enabled  *bool // default true
	State    jsonb.OIDCConnectorState
}

// UpdateConnectorInput changes the fields that are set (nil: unchanged).
type UpdateConnectorInput struct {
	Name     *string
	Issuer   *string
	ClientID *string
	Enabled  *bool
}

// ConnectorService manages a tenant's OIDC connectors.
type ConnectorService struct {
	base
	keys *sensitive.Keyring
}

// NewConnectorService returns the connector service; its logger is named
// "oidc_connectors". The keyring seals and opens the connectors' state.
func NewConnectorService(logger *zap.Logger, store Store, keys *sensitive.Keyring, opts ...Option) (*ConnectorService, error) {
	b, err := newBase("oidc_connectors", logger, store, opts)
	if err != nil {
		return nil, err
	}
	if keys == nil {
		return nil, errors.New("service: new oidc_connectors: keyring is nil; pass the *sensitive.Keyring built from configuration")
	}
	return &ConnectorService{base: b, keys: keys}, nil
}

const entityConnector = "oidc_connector"

// stateAt is where a connector's state is stored; its envelope is bound to
// it (a copy in another row does not open).
func stateAt(id entityid.OIDCConnectorID) sensitive.Place {
	return sensitive.At(oidcconnector.Table, oidcconnector.FieldState, id.UUID())
}

func (s *ConnectorService) seal(ctx context.Context, id entityid.OIDCConnectorID, st jsonb.OIDCConnectorState) (jsonb.SealedOIDCConnectorState, error) {
	sealed, err := sensitive.SealAt(ctx, s.keys, stateAt(id), st)
	if err != nil {
		return jsonb.SealedOIDCConnectorState{}, fmt.Errorf("seal state: %w", err)
	}
	return jsonb.SealedOIDCConnectorState{Sealed: sealed}, nil
}

// Create seals the state, creates the connector and audits
// "oidc_connector.create". Errors: ErrNotFound (no such tenant),
// ErrConflict (name taken in the tenant), ErrInvalid, sensitive errors.
func (s *ConnectorService) Create(ctx context.Context, tenantID entityid.TenantID, in CreateConnectorInput) (ConnectorPrivate, error) {
	if err := validateConnectorCreate(in); err != nil {
		return ConnectorPrivate{}, fmt.Errorf("create connector: %w", err)
	}
	id := in.ID
	if id.IsZero() {
		id = entityid.NewOIDCConnectorID() // known before sealing: the envelope is bound to the row
	}
	sealed, err := s.seal(ctx, id, in.State)
	if err != nil {
		return ConnectorPrivate{}, fmt.Errorf("create connector: %w", err)
	}
	var out ConnectorPrivate
	err = s.write(ctx, func(ctx context.Context) error {
		w := s.store.Writer(ctx)
		c := w.ForTenant(tenantID).OIDCConnector.Create().
			SetName(in.Name).
			SetIssuer(in.Issuer).
			SetClientID(in.ClientID).
			SetNillableEnabled(in.Enabled).
			SetState(sealed).
			SetID(id)
		row, err := c.Save(ctx)
		if isForeignKeyViolation(err) {
			return notFound(entityTenant, tenantID.String())
		}
		if err != nil {
			return classify(entityConnector, "", err)
		}
		if err := s.audit.record(ctx, w, event{tenant: tenantID, action: "oidc_connector.create", entity: row.ID.String(),
			details: map[string]string{"name": row.Name}}); err != nil {
			return err
		}
		out = ConnectorPrivate{ConnectorPublic: toConnectorPublic(row), State: sensitive.New(in.State)}
		return nil
	})
	if err != nil {
		return ConnectorPrivate{}, fmt.Errorf("create connector %q: %w", in.Name, err)
	}
	return out, nil
}

// connectorPublicColumns are the columns public reads load: every one but
// the sealed state.
var connectorPublicColumns = []string{
	oidcconnector.FieldID, oidcconnector.FieldCreatedAt, oidcconnector.FieldUpdatedAt, oidcconnector.FieldTenantID,
	oidcconnector.FieldName, oidcconnector.FieldIssuer, oidcconnector.FieldClientID, oidcconnector.FieldEnabled,
}

// get loads a connector of tenantID; with private false it leaves out the
// sealed state.
func (s *ConnectorService) get(ctx context.Context, tenantID entityid.TenantID, id entityid.OIDCConnectorID, private bool) (*ent.OIDCConnector, error) {
	q := s.store.Reader(ctx).ForTenant(tenantID).OIDCConnector.Query().
		Where(oidcconnector.ID(id))
	if !private {
		q.Select(connectorPublicColumns...)
	}
	c, err := q.Only(ctx)
	if err != nil {
		return nil, classify(entityConnector, id.String(), err)
	}
	return c, nil
}

// Get returns a connector's public view. Errors: ErrNotFound.
func (s *ConnectorService) Get(ctx context.Context, tenantID entityid.TenantID, id entityid.OIDCConnectorID) (ConnectorPublic, error) {
	c, err := s.get(ctx, tenantID, id, false)
	if err != nil {
		return ConnectorPublic{}, fmt.Errorf("get connector: %w", err)
	}
	return toConnectorPublic(c), nil
}

// GetPrivate returns a connector with its state decrypted. Errors:
// ErrNotFound, sensitive errors.
func (s *ConnectorService) GetPrivate(ctx context.Context, tenantID entityid.TenantID, id entityid.OIDCConnectorID) (ConnectorPrivate, error) {
	c, err := s.get(ctx, tenantID, id, true)
	if err != nil {
		return ConnectorPrivate{}, fmt.Errorf("get connector: %w", err)
	}
	p, err := toConnectorPrivate(ctx, s.keys, c)
	if err != nil {
		return ConnectorPrivate{}, fmt.Errorf("get connector: %w", err)
	}
	return p, nil
}

// List returns the tenant's connectors ordered by ID after the cursor.
func (s *ConnectorService) List(ctx context.Context, tenantID entityid.TenantID, after entityid.OIDCConnectorID, limit int) (Page[ConnectorPublic, entityid.OIDCConnectorID], error) {
	n, err := pageLimit(entityConnector, limit)
	if err != nil {
		return Page[ConnectorPublic, entityid.OIDCConnectorID]{}, err
	}
	q := s.store.Reader(ctx).ForTenant(tenantID).OIDCConnector.Query().
		Order(ent.Asc(oidcconnector.FieldID)).
		Limit(n + 1)
	q.Select(connectorPublicColumns...)
	if !after.IsZero() {
		q.Where(oidcconnector.IDGT(after))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return Page[ConnectorPublic, entityid.OIDCConnectorID]{}, fmt.Errorf("list connectors of %s: %w", tenantID, err)
	}
	return paginate(rows, n, toConnectorPublic, func(c ConnectorPublic) entityid.OIDCConnectorID { return c.ID }), nil
}

// Update changes a connector's public fields and audits
// "oidc_connector.update". Errors: ErrNotFound, ErrConflict, ErrInvalid.
func (s *ConnectorService) Update(ctx context.Context, tenantID entityid.TenantID, id entityid.OIDCConnectorID, in UpdateConnectorInput) (ConnectorPublic, error) {
	if err := validateConnectorUpdate(in); err != nil {
		return ConnectorPublic{}, fmt.Errorf("update connector: %w", err)
	}
	var out ConnectorPublic
	err := s.write(ctx, func(ctx context.Context) error {
		w := s.store.Writer(ctx)
		u := w.ForTenant(tenantID).OIDCConnector.UpdateOneID(id)
		var changed []string
		if in.Name != nil {
			u.SetName(*in.Name)
			changed = append(changed, "name")
		}
		if in.Issuer != nil {
			u.SetIssuer(*in.Issuer)
			changed = append(changed, "issuer")
		}
		if in.ClientID != nil {
			u.SetClientID(*in.ClientID)
			changed = append(changed, "client_id")
		}
		if in.Enabled != nil {
			u.SetEnabled(*in.Enabled)
			changed = append(changed, "enabled")
		}
		row, err := u.Select(connectorPublicColumns[0], connectorPublicColumns[1:]...).Save(ctx)
		if err != nil {
			return classify(entityConnector, id.String(), err)
		}
		if err := s.audit.record(ctx, w, event{tenant: tenantID, action: "oidc_connector.update", entity: id.String(),
			details: fieldsDetail(changed)}); err != nil {
			return err
		}
		out = toConnectorPublic(row)
		return nil
	})
	if err != nil {
		return ConnectorPublic{}, fmt.Errorf("update connector: %w", err)
	}
	return out, nil
}

// SetState seals and stores a connector's state, auditing
// "oidc_connector.set_state" without the value. Errors: ErrNotFound,
// sensitive errors (then nothing is written).
func (s *ConnectorService) SetState(ctx context.Context, tenantID entityid.TenantID, id entityid.OIDCConnectorID, st jsonb.OIDCConnectorState) error {
	if err := validateConnectorState(st); err != nil {
		return fmt.Errorf("set connector state: %w", err)
	}
	sealed, err := s.seal(ctx, id, st)
	if err != nil {
		return fmt.Errorf("set connector state: %w", err)
	}
	err = s.write(ctx, func(ctx context.Context) error {
		w := s.store.Writer(ctx)
		if err := w.ForTenant(tenantID).OIDCConnector.UpdateOneID(id).SetState(sealed).Exec(ctx); err != nil {
			return classify(entityConnector, id.String(), err)
		}
		return s.audit.record(ctx, w, event{tenant: tenantID, action: "oidc_connector.set_state", entity: id.String()})
	})
	if err != nil {
		return fmt.Errorf("set connector state: %w", err)
	}
	return nil
}

// Delete removes a connector and audits "oidc_connector.delete". Errors: ErrNotFound.
func (s *ConnectorService) Delete(ctx context.Context, tenantID entityid.TenantID, id entityid.OIDCConnectorID) error {
	err := s.write(ctx, func(ctx context.Context) error {
		w := s.store.Writer(ctx)
		n, err := w.ForTenant(tenantID).OIDCConnector.Delete().Where(oidcconnector.ID(id)).Exec(ctx)
		if err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		if n == 0 {
			return notFound(entityConnector, id.String())
		}
		return s.audit.record(ctx, w, event{tenant: tenantID, action: "oidc_connector.delete", entity: id.String()})
	})
	if err != nil {
		return fmt.Errorf("delete connector: %w", err)
	}
	return nil
}
