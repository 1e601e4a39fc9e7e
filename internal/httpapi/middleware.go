package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"go.uber.org/zap"

	"github.com/central/central/internal/replica"
	"github.com/central/central/internal/reqid"
	"github.com/central/central/internal/tracing"
)

const (
	requestIDHeader = "X-Request-ID"
	// ConsistencyHeader carries the read-your-writes token: writes return it,
	// and a read that sends it back observes those writes even when served
	// by a replica.
	ConsistencyHeader = "X-Consistency-Token"
)

// acceptedRequestID bounds what a client may choose as its request id, since
// the id is echoed into headers and logs.
var acceptedRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b[:])
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// instrument gives every request an id (the client's X-Request-ID when it is
// sane), a read-your-writes session seeded from X-Consistency-Token, panic
// recovery and an access log line.
func (a *API) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(requestIDHeader)
		if !acceptedRequestID.MatchString(id) {
			id = newRequestID()
		}
		w.Header().Set(requestIDHeader, id)
		if a.draining.Load() {
			// Shutting down: the client opens its next connection through
			// the load balancer, which no longer routes here.
			w.Header().Set("Connection", "close")
		}
		tracing.SetRequestID(r.Context(), id)
		rec := &statusRecorder{ResponseWriter: w}

		ctx := reqid.NewContext(r.Context(), id)
		ctx = replica.NewSession(ctx)
		if raw := r.Header.Get(ConsistencyHeader); raw != "" {
			tok, err := replica.ParseToken(raw)
			if err != nil {
				writeProblem(rec, r, http.StatusBadRequest, fmt.Sprintf("header %s: %v; send back the value a write returned, unchanged", ConsistencyHeader, err))
				a.logRequest(r, id, rec, start)
				return
			}
			ctx = replica.WithToken(ctx, tok)
		}

		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					// The connection is cut without an answer: the access
					// log still records the request (status 0).
					a.logRequest(r, id, rec, start)
					panic(p)
				}
				a.log.Error("handler panicked", zap.String("request_id", id), tracing.TraceID(r.Context()), zap.Any("panic", p), zap.Stack("stack"))
				if rec.status == 0 {
					writeProblem(rec, r, http.StatusInternalServerError, "internal error; quote the request id to an operator")
				}
			}
			a.logRequest(r, id, rec, start)
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
	})
}

func (a *API) logRequest(r *http.Request, id string, rec *statusRecorder, start time.Time) {
	if ce := a.log.Check(zap.InfoLevel, "request"); ce != nil {
		ce.Write(
			zap.String("request_id", id),
			tracing.TraceID(r.Context()),
			zap.String("method", r.Method),
			zap.String("path", r.URL.Path),
			zap.Int("status", rec.status),
			zap.Int("bytes", rec.bytes),
			zap.Duration("duration", time.Since(start)),
		)
	}
}

// setConsistencyToken puts the token covering this request's writes on the
// response. Call it after the write committed and before writing the body.
func (a *API) setConsistencyToken(w http.ResponseWriter, r *http.Request) {
	tok, err := a.store.Token(r.Context())
	if err != nil {
		// The write is committed; failing the response would invite a retry
		// that duplicates it. Without a token the client merely loses the
		// read-your-writes guarantee for its next read.
		a.log.Warn("resolve consistency token", zap.String("request_id", w.Header().Get(requestIDHeader)), tracing.TraceID(r.Context()), zap.Error(err))
		return
	}
	if !tok.IsZero() {
		w.Header().Set(ConsistencyHeader, tok.String())
	}
}
