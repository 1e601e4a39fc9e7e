package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/fx"
	"go.uber.org/zap"
)

// Server serves the API on an address, starting and stopping with the fx
// application: it binds in OnStart (so a taken port fails the boot with a
// clear error). OnStop turns readiness false at once and keeps serving for
// the shutdown delay, so that a load balancer sees /readyz fail and stops
// sending requests while the listener still answers them; then it stops
// accepting and lets in-flight requests finish (at most the shutdown
// timeout) before the pools it depends on are closed (fx stops in reverse
// order of start, and the server starts last).
type Server struct {
	api     *API
	log     *zap.Logger
	addr    string
	srv     *http.Server
	ln      net.Listener
	delay   time.Duration
	timeout time.Duration
}

// ServerOption configures NewServer.
type ServerOption func(*Server)

// WithShutdown sets the shutdown delay (serving with readiness false before
// the listener closes; 0 closes it at once) and the timeout for in-flight
// requests after it (default DefaultShutdownTimeout).
func WithShutdown(delay, timeout time.Duration) ServerOption {
	return func(s *Server) {
		s.delay = max(delay, 0)
		if timeout > 0 {
			s.timeout = timeout
		}
	}
}

// DefaultShutdownTimeout bounds the wait for in-flight requests when
// WithShutdown does not set it.
const DefaultShutdownTimeout = 20 * time.Second

// NewServer returns a server for api on addr (host:port; port 0 picks one).
func NewServer(api *API, logger *zap.Logger, addr string, opts ...ServerOption) *Server {
	s := &Server{
		api:     api,
		log:     logger.Named("http"),
		addr:    addr,
		timeout: DefaultShutdownTimeout,
		srv: &http.Server{
			Handler:           api,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          zap.NewStdLog(logger.Named("http.server")),
		},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// WithMiddleware wraps the server's handler in mw, e.g.
// tracing.Middleware; of several, the first given wraps innermost.
func WithMiddleware(mw func(http.Handler) http.Handler) ServerOption {
	return func(s *Server) { s.srv.Handler = mw(s.srv.Handler) }
}

// Start binds the address and serves in the background.
func (s *Server) Start(context.Context) error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("listen on %s (set HTTP_ADDR to another address, or stop what uses it): %w", s.addr, err)
	}
	s.ln = ln
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve", zap.Error(err))
		}
	}()
	return nil
}

// Addr is the bound address (useful with port 0); empty before Start.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Stop turns readiness false, keeps serving for the shutdown delay, then
// stops accepting and waits for in-flight requests, at most the shutdown
// timeout (or until ctx ends); then it closes the remaining connections.
func (s *Server) Stop(ctx context.Context) error {
	s.api.Drain()
	if s.delay > 0 {
		s.log.Info("shutting down: /readyz answers 503; still serving until the delay ends",
			zap.Duration("shutdown_delay", s.delay), zap.Duration("shutdown_timeout", s.timeout))
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
		}
	}
	s.log.Info("shutting down: no new connections; waiting for in-flight requests", zap.Duration("shutdown_timeout", s.timeout))
	sctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	// Shutdown, not Close: Close would cut requests the server has
	// accepted and is answering (TestShutdownUnderLoad fails on it).
	if err := s.srv.Shutdown(sctx); err != nil {
		_ = s.srv.Close()
		return fmt.Errorf("shut down http server: in-flight requests did not finish within %s (SHUTDOWN_TIMEOUT): %w", s.timeout, err)
	}
	return nil
}

// Register hooks the server into the fx lifecycle.
func Register(lc fx.Lifecycle, s *Server) {
	lc.Append(fx.Hook{OnStart: s.Start, OnStop: s.Stop})
}
