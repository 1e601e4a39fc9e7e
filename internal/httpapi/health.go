package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/central/central/internal/db"
)

// healthTimeout bounds a readiness probe, which checks the database.
const healthTimeout = 2 * time.Second

// livez answers as long as the process serves HTTP. It deliberately does not
// check the database: an orchestrator restarts instances that fail liveness,
// and restarting every instance because PostgreSQL is briefly unreachable
// helps nothing. Database trouble shows in /readyz.
func (a *API) livez(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz reports whether this instance should get traffic: it is not
// shutting down, both primary pools answer, no migration is pending; replica
// health and lag are reported but do not fail readiness (reads fall back to
// the primary).
func (a *API) readyz(w http.ResponseWriter, r *http.Request) {
	if a.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, db.Report{
			Checks: []db.Check{{Name: "shutdown", Critical: true, Detail: "shutting down"}},
		})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	rep := a.store.Health(ctx)
	status := http.StatusOK
	if !rep.Ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, rep)
}
