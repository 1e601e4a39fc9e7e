package httpapi

import (
	"net/http"
	"time"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/service"
)

type tenantJSON struct {
	ID          entityid.TenantID `json:"id"`
	Slug        string            `json:"slug"`
	DisplayName string            `json:"display_name"`
	Status      string            `json:"status"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

func tenantView(t service.TenantPublic) tenantJSON {
	return tenantJSON{ID: t.ID, Slug: t.Slug, DisplayName: t.DisplayName, Status: string(t.Status), CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

func (a *API) tenantRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/tenants", a.createTenant)
	mux.HandleFunc("GET /v1/tenants", a.listTenants)
	mux.HandleFunc("GET /v1/tenants/{tenant_id}", a.getTenant)
}

func (a *API) createTenant(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Slug        string `json:"slug"`
		DisplayName string `json:"display_name"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	t, err := a.svc.Tenants.TxCreateTenant(r.Context(), service.CreateTenantInput{Slug: in.Slug, DisplayName: in.DisplayName})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.setConsistencyToken(w, r)
	w.Header().Set("Location", "/v1/tenants/"+t.ID.String())
	writeJSON(w, http.StatusCreated, tenantView(t.TenantPublic))
}

func (a *API) getTenant(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "tenant_id", entityid.ParseTenantID)
	if !ok {
		return
	}
	t, err := a.svc.Tenants.Get(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tenantView(t))
}

func (a *API) listTenants(w http.ResponseWriter, r *http.Request) {
	after, limit, ok := pageParams(w, r, entityid.ParseTenantID)
	if !ok {
		return
	}
	p, err := a.svc.Tenants.List(r.Context(), after, limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPage(p, tenantView))
}
