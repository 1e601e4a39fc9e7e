package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"
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
	StatusClientClosedRequest:        "/problems/client-closed-request",
}

// StatusClientClosedRequest is nginx's 499: the client went away before the
// answer. It is what the access log and the request counter record for a
// request the client abandoned, so that abandoned requests are not
// counted as server unavailability (503).
const StatusClientClosedRequest = 499

func statusText(status int) string {
	if status == StatusClientClosedRequest {
		return "Client Closed Request"
	}
	return http.StatusText(status)
}

// Bounds of the echoed parts of a problem: a client controls the path and
// parts of the detail, and a 10 KB path must not come back twice.
const (
	maxDetailChars   = 512
	maxInstanceChars = 256
)

func writeProblem(w http.ResponseWriter, r *http.Request, status int, detail string) {
	p := Problem{
		Type:      problemTypes[status],
		Title:     statusText(status),
		Status:    status,
		Detail:    truncate(detail, maxDetailChars),
		Instance:  truncate(r.URL.Path, maxInstanceChars),
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

// truncate cuts s to max characters (after replacing invalid UTF-8), marking
// the cut.
func truncate(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
