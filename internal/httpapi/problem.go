package httpapi

import (
	"encoding/json"
	"net/http"
)

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// RequestID lets a client quote the request to an operator, who finds its
	// SQL in the logs.
	RequestID string `json:"request_id,omitempty"`
}

// problemTypes names each kind of problem with a stable URI reference, so
// clients branch on type rather than on the human-readable title.
var problemTypes = map[int]string{
	http.StatusBadRequest:            "/problems/invalid-request",
	http.StatusNotFound:              "/problems/not-found",
	http.StatusMethodNotAllowed:      "/problems/method-not-allowed",
	http.StatusConflict:              "/problems/conflict",
	http.StatusRequestEntityTooLarge: "/problems/body-too-large",
	http.StatusUnsupportedMediaType:  "/problems/unsupported-media-type",
	http.StatusServiceUnavailable:    "/problems/unavailable",
	http.StatusInternalServerError:   "/problems/internal",
}

func writeProblem(w http.ResponseWriter, r *http.Request, status int, detail string) {
	p := Problem{
		Type:      problemTypes[status],
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Instance:  r.URL.Path,
		RequestID: w.Header().Get(requestIDHeader),
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}
