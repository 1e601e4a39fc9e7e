package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/central/central/internal/db"
	"github.com/central/central/internal/replica"
	"github.com/central/central/internal/service"
	"github.com/central/central/internal/tracing"
)

// Store is what the API needs from the database layer beyond the services.
type Store interface {
	// Token returns the read-your-writes token covering the writes of the
	// request's session.
	Token(ctx context.Context) (replica.Token, error)
	// Health runs the readiness checks.
	Health(ctx context.Context) db.Report
}

// API is Central's HTTP JSON API.
type API struct {
	log      *zap.Logger
	store    Store
	svc      *service.Services
	gatherer prometheus.Gatherer
	handler  http.Handler
	draining atomic.Bool
	// clientGone counts requests the client abandoned before the answer
	// (logged and answered as 499, not 503).
	clientGone prometheus.Counter
}

// New returns the API. gatherer serves /metrics.
func New(logger *zap.Logger, store Store, svc *service.Services, gatherer prometheus.Gatherer) (*API, error) {
	switch {
	case logger == nil:
		return nil, errors.New("httpapi: logger is nil")
	case store == nil:
		return nil, errors.New("httpapi: store is nil")
	case svc == nil:
		return nil, errors.New("httpapi: services are nil")
	case gatherer == nil:
		return nil, errors.New("httpapi: metrics gatherer is nil")
	}
	a := &API{log: logger.Named("http"), store: store, svc: svc, gatherer: gatherer}
	a.clientGone = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "central", Subsystem: "http", Name: "client_closed_requests_total",
		Help: "Requests the client abandoned before the answer (logged with status 499).",
	})
	// The registry that serves /metrics takes the API's own metrics when it
	// can (the app's *prometheus.Registry can).
	if reg, ok := gatherer.(prometheus.Registerer); ok {
		if err := reg.Register(a.clientGone); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, fmt.Errorf("httpapi: register metrics: %w", err)
			}
			a.clientGone = are.ExistingCollector.(prometheus.Counter)
		}
	}
	a.handler = a.instrument(a.routes())
	return a, nil
}

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }

// Drain turns readiness false; the server calls it when shutdown begins.
func (a *API) Drain() { a.draining.Store(true) }

func (a *API) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", a.livez)
	mux.HandleFunc("GET /readyz", a.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.gatherer, promhttp.HandlerOpts{}))
	a.tenantRoutes(mux)
	a.userRoutes(mux)
	a.connectorRoutes(mux)
	// Unknown paths and methods get problem+json rather than the mux's
	// plain-text 404/405.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The mux would answer a path with //, . or .. segments with an
		// HTML redirect to its clean form; an API answers problem+json.
		if clean := cleanPath(r.URL.Path); clean != r.URL.Path {
			writeProblem(w, r, http.StatusNotFound, "no resource at a path with empty, . or .. segments; use "+clean)
			return
		}
		h, pattern := mux.Handler(r)
		if pattern == "" {
			// Let the mux decide between 404 and 405 (and compute Allow)
			// without writing, then answer in problem+json.
			c := &capture{header: http.Header{}}
			h.ServeHTTP(c, r)
			if c.status == http.StatusMethodNotAllowed {
				w.Header().Set("Allow", c.header.Get("Allow"))
				writeProblem(w, r, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path)
				return
			}
			writeProblem(w, r, http.StatusNotFound, "no resource at "+r.URL.Path)
			return
		}
		tracing.SetRoute(r, pattern)
		mux.ServeHTTP(w, r) // not h: only the mux fills in r.PathValue
	})
}

// cleanPath is path.Clean keeping a trailing slash, as ServeMux cleans.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// capture records what a handler would answer, writing nothing.
type capture struct {
	header http.Header
	status int
}

func (c *capture) Header() http.Header { return c.header }

func (c *capture) Write(b []byte) (int, error) {
	c.WriteHeader(http.StatusOK)
	return len(b), nil
}

func (c *capture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}
