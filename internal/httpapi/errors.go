package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"go.uber.org/zap"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/service"
	"github.com/central/central/internal/tracing"
)

// fail maps a service error to its problem response. Expected failures
// (not found, conflict, invalid input) say what is wrong; anything else is
// logged with the request id and answered with a 500 that reveals nothing.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case r.Context().Err() != nil && !errors.Is(err, service.ErrInvalid):
		// The client went away (or the server's write deadline passed):
		// nobody reads the answer, and it is not the server's failure.
		a.clientGone.Inc()
		a.log.Info("client closed the request", zap.String("request_id", w.Header().Get(requestIDHeader)),
			zap.String("path", truncate(r.URL.Path, maxInstanceChars)), zap.NamedError("cause", context.Cause(r.Context())))
		writeProblem(w, r, StatusClientClosedRequest, "the client closed the request before it was answered")
	case errors.Is(err, service.ErrNotFound):
		writeProblem(w, r, http.StatusNotFound, err.Error())
	case errors.Is(err, service.ErrConflict):
		writeProblem(w, r, http.StatusConflict, err.Error())
	case errors.Is(err, service.ErrInvalid):
		writeProblem(w, r, http.StatusBadRequest, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		writeProblem(w, r, http.StatusServiceUnavailable, "the database did not answer in time; retry later")
	default:
		a.log.Error("request failed", zap.String("request_id", w.Header().Get(requestIDHeader)), tracing.TraceID(r.Context()),
			zap.String("path", truncate(r.URL.Path, maxInstanceChars)), zap.Error(err))
		writeProblem(w, r, http.StatusInternalServerError, "internal error; quote the request id to an operator")
	}
}

// pathID parses the path parameter name with parse, answering 400 (naming
// the expected prefix, which parse's error does) when it is malformed.
func pathID[T any](w http.ResponseWriter, r *http.Request, name string, parse func(string) (T, error)) (T, bool) {
	id, err := parse(r.PathValue(name))
	if err != nil {
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("path parameter %s: %v", name, err))
		return id, false
	}
	return id, true
}

// userPath reads the tenant_id and user_id path parameters of a user's
// routes.
func userPath(w http.ResponseWriter, r *http.Request) (entityid.TenantID, entityid.UserID, bool) {
	tenantID, ok := pathID(w, r, "tenant_id", entityid.ParseTenantID)
	if !ok {
		return tenantID, entityid.UserID{}, false
	}
	userID, ok := pathID(w, r, "user_id", entityid.ParseUserID)
	return tenantID, userID, ok
}

// pageParams reads ?after=<id>&limit=<n>; after is optional.
func pageParams[T any](w http.ResponseWriter, r *http.Request, parse func(string) (T, error)) (after T, limit int, ok bool) {
	q := r.URL.Query()
	if raw := q.Get("after"); raw != "" {
		var err error
		if after, err = parse(raw); err != nil {
			writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("query parameter after: %v", err))
			return after, 0, false
		}
	}
	if raw := q.Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > service.MaxLimit {
			writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("query parameter limit: %q is not a number from 1 to %d", raw, service.MaxLimit))
			return after, 0, false
		}
		limit = n
	}
	return after, limit, true
}

// page is the JSON form of a list page; Next is the cursor to pass as
// ?after= for the following page, absent on the last one.
type page[V, ID any] struct {
	Items []V `json:"items"`
	Next  ID  `json:"next,omitzero"`
}

func toPage[T, V, ID any](p service.Page[T, ID], view func(T) V) page[V, ID] {
	out := page[V, ID]{Items: make([]V, len(p.Items)), Next: p.Next}
	for i, it := range p.Items {
		out.Items[i] = view(it)
	}
	return out
}
