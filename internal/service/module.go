package service

import (
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/central/central/internal/db"
	"github.com/central/central/internal/sensitive"
)

// Services is every service, built in one place by [NewServices].
type Services struct {
	Tenants    *TenantService
	Users      *UserService
	Connectors *ConnectorService
	Objects    *ObjectService
	Audit      *AuditService
}

// NewServices builds every service over one store and keyring; opts apply
// to each of them.
func NewServices(logger *zap.Logger, store Store, keys *sensitive.Keyring, opts ...Option) (*Services, error) {
	var (
		s   Services
		err error
	)
	if s.Tenants, err = NewTenantService(logger, store, opts...); err != nil {
		return nil, err
	}
	if s.Users, err = NewUserService(logger, store, keys, opts...); err != nil {
		return nil, err
	}
	if s.Connectors, err = NewConnectorService(logger, store, keys, opts...); err != nil {
		return nil, err
	}
	if s.Objects, err = NewObjectService(logger, store, opts...); err != nil {
		return nil, err
	}
	if s.Audit, err = NewAuditService(logger, store, opts...); err != nil {
		return nil, err
	}
	return &s, nil
}

// Module provides *Services and each service on its own, from the
// *zap.Logger, the *db.DB and the *sensitive.Keyring of the application.
var Module = fx.Module("service",
	fx.Provide(
		provideServices,
		func(s *Services) *TenantService { return s.Tenants },
		func(s *Services) *UserService { return s.Users },
		func(s *Services) *ConnectorService { return s.Connectors },
		func(s *Services) *ObjectService { return s.Objects },
		func(s *Services) *AuditService { return s.Audit },
	),
)

func provideServices(logger *zap.Logger, d *db.DB, keys *sensitive.Keyring) (*Services, error) {
	return NewServices(logger, d, keys)
}
