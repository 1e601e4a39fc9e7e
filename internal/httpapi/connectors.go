package httpapi

import (
	"net/http"
	"time"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/service"
)

// connectorJSON is the public view of an OIDC connector: its state (client
// secret and the like) is write-only through this API.
type connectorJSON struct {
	ID        entityid.OIDCConnectorID `json:"id"`
	TenantID  entityid.TenantID        `json:"tenant_id"`
	Name      string                   `json:"name"`
	Issuer    string                   `json:"issuer"`
	ClientID  string                   `json:"client_id"`
	Enabled   bool                     `json:"enabled"`
	CreatedAt time.Time                `json:"created_at"`
	UpdatedAt time.Time                `json:"updated_at"`
}

func connectorView(c service.ConnectorPublic) connectorJSON {
	return connectorJSON{ID: c.ID, TenantID: c.TenantID, Name: c.Name, Issuer: c.Issuer, ClientID: c.ClientID,
		Enabled: c.Enabled, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func (a *API) connectorRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/tenants/{tenant_id}/oidc-connectors", a.createConnector)
	mux.HandleFunc("GET /v1/tenants/{tenant_id}/oidc-connectors", a.listConnectors)
	mux.HandleFunc("GET /v1/tenants/{tenant_id}/oidc-connectors/{connector_id}", a.getConnector)
}

func (a *API) createConnector(w http.ResponseWriter, r *http.Request) {
	tenantID, ok := pathID(w, r, "tenant_id", entityid.ParseTenantID)
	if !ok {
		return
	}
	var in struct {
		Name         string   `json:"name"`
		Issuer       string   `json:"issuer"`
		ClientID     string   `json:"client_id"`
		ClientSecret string   `json:"client_secret"`
		Scopes       []string `json:"scopes"`
		Enabled      *bool    `json:"enabled"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	c, err := a.svc.Connectors.Create(r.Context(), tenantID, service.CreateConnectorInput{
		Name: in.Name, Issuer: in.Issuer, ClientID: in.ClientID, Enabled: in.Enabled,
		State: jsonb.OIDCConnectorState{ClientSecret: in.ClientSecret, Scopes: in.Scopes},
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.setConsistencyToken(w, r)
	w.Header().Set("Location", "/v1/tenants/"+tenantID.String()+"/oidc-connectors/"+c.ID.String())
	writeJSON(w, http.StatusCreated, connectorView(c.ConnectorPublic))
}

func (a *API) getConnector(w http.ResponseWriter, r *http.Request) {
	tenantID, ok := pathID(w, r, "tenant_id", entityid.ParseTenantID)
	if !ok {
		return
	}
	id, ok := pathID(w, r, "connector_id", entityid.ParseOIDCConnectorID)
	if !ok {
		return
	}
	c, err := a.svc.Connectors.Get(r.Context(), tenantID, id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, connectorView(c))
}

func (a *API) listConnectors(w http.ResponseWriter, r *http.Request) {
	tenantID, ok := pathID(w, r, "tenant_id", entityid.ParseTenantID)
	if !ok {
		return
	}
	after, limit, ok := pageParams(w, r, entityid.ParseOIDCConnectorID)
	if !ok {
		return
	}
	p, err := a.svc.Connectors.List(r.Context(), tenantID, after, limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPage(p, connectorView))
}
