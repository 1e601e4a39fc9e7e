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
// clear error) and on OnStop turns readiness false, then lets in-flight
// requests finish before the pools it depends on are closed (fx stops in
// reverse order of start, and the server starts last).
type Server struct {
	api  *API
	log  *zap.Logger
	addr string
	srv  *http.Server
	ln   net.Listener
}

// NewServer returns a server for api on addr (host:port; port 0 picks one).
func NewServer(api *API, logger *zap.Logger, addr string, opts ...ServerOption) *Server {
	var handler http.Handler = api
	for _, opt := range opts {
		handler = opt(handler)
	}
	return &Server{
		api:  api,
		log:  logger.Named("http"),
		addr: addr,
		srv: &http.Server{
			Handler:           handler,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          zap.NewStdLog(logger.Named("http.server")),
		},
	}
}

// ServerOption wraps the server's handler, e.g. tracing.Middleware: the
// first option is the innermost wrapper.
type ServerOption func(http.Handler) http.Handler

// WithMiddleware wraps the API in mw (the first wraps innermost).
func WithMiddleware(mw func(http.Handler) http.Handler) ServerOption { return ServerOption(mw) }

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

// Stop turns readiness false and waits for in-flight requests, at most
// until ctx ends; then it closes the remaining connections.
func (s *Server) Stop(ctx context.Context) error {
	s.api.Drain()
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
		return fmt.Errorf("shut down http server: %w", err)
	}
	return nil
}

// Register hooks the server into the fx lifecycle.
func Register(lc fx.Lifecycle, s *Server) {
	lc.Append(fx.Hook{OnStart: s.Start, OnStop: s.Stop})
}
