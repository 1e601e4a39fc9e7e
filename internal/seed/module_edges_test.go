package seed_test

import (
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/seed"
	"github.com/central/central/internal/service"
)

// TestEdgeSetFor: production runs the production set, every other
// environment the development one, and a missing set is an error naming
// it. Bugs caught (found by mutation testing): the environment test
// inverted or dropped, the missing-set error swallowed.
func TestEdgeSetFor(t *testing.T) {
	sets := []seed.AppSet{{Env: config.Development}, {Env: config.Production}}
	for _, tt := range []struct{ env, want config.Env }{
		{config.Production, config.Production},
		{config.Development, config.Development},
		{config.Test, config.Development},
	} {
		s, err := seed.SetFor(tt.env, sets)
		if err != nil || s.Env != tt.want {
			t.Errorf("SetFor(%s) = %s, %v; want the %s set", tt.env, s.Env, err, tt.want)
		}
	}
	if _, err := seed.SetFor(config.Production, sets[:1]); err == nil || !strings.Contains(err.Error(), "no production seed set") {
		t.Errorf("SetFor without a production set: %v", err)
	}
}

// TestEdgeNewAppRunner: the app's runner refuses missing dependencies and a
// missing set, and defaults SEED_CHANGED to error. Bugs caught: any refusal
// swallowed, the default dropped (New then refuses the empty mode).
func TestEdgeNewAppRunner(t *testing.T) {
	e := newAppEnv(t, newTestDB(t))
	cfg := config.Config{Env: config.Development}
	sets := []seed.AppSet{{Env: config.Development, Sources: sources(nil), Funcs: map[string]seed.Func{}}}
	log := zap.NewNop()
	for _, tc := range []struct {
		name string
		run  func() error
		want string
	}{
		{"nil services", func() error { _, err := seed.NewAppRunner(cfg, e.db, nil, log, sets, "v"); return err }, "services are nil"},
		{"nil logger", func() error { _, err := seed.NewAppRunner(cfg, e.db, &service.Services{}, nil, sets, "v"); return err }, "logger is nil"},
		{"nil db", func() error { _, err := seed.NewAppRunner(cfg, nil, e.svc, log, sets, "v"); return err }, "*db.DB is nil"},
		{"no set", func() error { _, err := seed.NewAppRunner(cfg, e.db, e.svc, log, nil, "v"); return err }, "no development seed set"},
	} {
		if err := tc.run(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := seed.NewAppRunner(cfg, e.db, e.svc, log, sets, "v"); err != nil {
		t.Errorf("NewAppRunner with everything and no SEED_CHANGED: %v", err)
	}
}
