package service_test

import (
	"testing"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/zap/zaptest"

	"github.com/central/central/internal/service"
)

func TestModule(t *testing.T) {
	e := newEnv(t)
	var (
		all     *service.Services
		tenants *service.TenantService
		users   *service.UserService
		conns   *service.ConnectorService
		objects *service.ObjectService
		audit   *service.AuditService
	)
	app := fxtest.New(t,
		fx.Supply(zaptest.NewLogger(t), e.db, e.keys),
		service.Module,
		fx.Populate(&all, &tenants, &users, &conns, &objects, &audit),
	)
	app.RequireStart()
	defer app.RequireStop()
	if all.Tenants != tenants || all.Users != users || all.Connectors != conns || all.Objects != objects || all.Audit != audit {
		t.Fatal("Module provides services other than those in *Services")
	}
	if _, err := tenants.TxCreateTenant(t.Context(), service.CreateTenantInput{Slug: "fx-tenant", DisplayName: "fx"}); err != nil {
		t.Fatal(err)
	}
}

func TestConstructorsRejectNil(t *testing.T) {
	e := newEnv(t)
	log := zaptest.NewLogger(t)
	tests := map[string]func() error{
		"nil logger": func() error { _, err := service.NewServices(nil, e.db, e.keys); return err },
		"nil store":  func() error { _, err := service.NewServices(log, nil, e.keys); return err },
		"nil keys":   func() error { _, err := service.NewUserService(log, e.db, nil); return err },
		"nil keys (connectors)": func() error {
			_, err := service.NewConnectorService(log, e.db, nil)
			return err
		},
		"nil clock":  func() error { _, err := service.NewTenantService(log, e.db, service.WithClock(nil)); return err },
		"nil option": func() error { _, err := service.NewTenantService(log, e.db, nil); return err },
	}
	for name, call := range tests {
		if err := call(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
