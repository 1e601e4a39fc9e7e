package httpapi

import (
	"net/http"
	"time"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/service"
)

type tagJSON struct {
	Key       string    `json:"key"`
	Value     string    `json:"value"`
	UpdatedAt time.Time `json:"updated_at"`
}

// userJSON is the public view of a user: it never carries the identity
// provider's user info, which is sensitive.
type userJSON struct {
	ID          entityid.UserID   `json:"id"`
	TenantID    entityid.TenantID `json:"tenant_id"`
	Email       string            `json:"email"`
	DisplayName string            `json:"display_name,omitempty"`
	Status      string            `json:"status"`
	Profile     jsonb.UserProfile `json:"profile"`
	Tags        []tagJSON         `json:"tags"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

func tagView(t service.Tag) tagJSON {
	return tagJSON{Key: t.Key, Value: t.Value, UpdatedAt: t.UpdatedAt}
}

func userView(u service.UserPublic) userJSON {
	out := userJSON{
		ID: u.ID, TenantID: u.TenantID, Email: u.Email, DisplayName: u.DisplayName,
		Status: string(u.Status), Profile: u.Profile, Tags: make([]tagJSON, len(u.Tags)), CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	}
	for i, t := range u.Tags {
		out.Tags[i] = tagView(t)
	}
	return out
}

func (a *API) userRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/tenants/{tenant_id}/users", a.createUser)
	mux.HandleFunc("GET /v1/tenants/{tenant_id}/users", a.listUsers)
	mux.HandleFunc("GET /v1/tenants/{tenant_id}/users/{user_id}", a.getUser)
	mux.HandleFunc("PUT /v1/tenants/{tenant_id}/users/{user_id}/tags/{key}", a.setTag)
	mux.HandleFunc("DELETE /v1/tenants/{tenant_id}/users/{user_id}/tags/{key}", a.deleteTag)
	mux.HandleFunc("PUT /v1/tenants/{tenant_id}/users/{user_id}/profile", a.setProfile)
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request) {
	tenantID, ok := pathID(w, r, "tenant_id", entityid.ParseTenantID)
	if !ok {
		return
	}
	var in struct {
		Email       string            `json:"email"`
		DisplayName string            `json:"display_name"`
		Tags        map[string]string `json:"tags"`
		Profile     jsonb.UserProfile `json:"profile"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	u, err := a.svc.Users.TxCreateUser(r.Context(), tenantID, service.CreateUserInput{
		Email: in.Email, DisplayName: in.DisplayName, Tags: in.Tags, Profile: in.Profile,
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.setConsistencyToken(w, r)
	w.Header().Set("Location", "/v1/tenants/"+tenantID.String()+"/users/"+u.ID.String())
	writeJSON(w, http.StatusCreated, userView(u.UserPublic))
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request) {
	tenantID, id, ok := userPath(w, r)
	if !ok {
		return
	}
	u, err := a.svc.Users.Get(r.Context(), tenantID, id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, userView(u))
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request) {
	tenantID, ok := pathID(w, r, "tenant_id", entityid.ParseTenantID)
	if !ok {
		return
	}
	after, limit, ok := pageParams(w, r, entityid.ParseUserID)
	if !ok {
		return
	}
	filter, ok := profileFilterParams(w, r)
	if !ok {
		return
	}
	p, err := a.svc.Users.ListByProfile(r.Context(), tenantID, filter, after, limit) // an empty filter lists every user
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPage(p, userView))
}

func (a *API) setTag(w http.ResponseWriter, r *http.Request) {
	tenantID, userID, ok := userPath(w, r)
	if !ok {
		return
	}
	var in struct {
		Value string `json:"value"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	t, err := a.svc.Users.SetTag(r.Context(), tenantID, userID, r.PathValue("key"), in.Value)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.setConsistencyToken(w, r)
	writeJSON(w, http.StatusOK, tagView(t))
}

func (a *API) deleteTag(w http.ResponseWriter, r *http.Request) {
	tenantID, userID, ok := userPath(w, r)
	if !ok {
		return
	}
	if err := a.svc.Users.DeleteTag(r.Context(), tenantID, userID, r.PathValue("key")); err != nil {
		a.fail(w, r, err)
		return
	}
	a.setConsistencyToken(w, r)
	w.WriteHeader(http.StatusNoContent)
}
