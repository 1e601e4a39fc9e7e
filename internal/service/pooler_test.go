package service_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/service"
)

// newPooledEnv is newEnv with the store behind a real PgBouncer in
// transaction mode (2 server connections for 8 clients per side), as
// POSTGRES_POOLER=transaction configures it.
func newPooledEnv(t *testing.T) (*env, *dbtest.Pooled) {
	t.Helper()
	p := dbtest.NewPooled(t)
	logger := zaptest.NewLogger(t)
	d, err := db.Open(ctxT(t), config.Postgres{
		ReadWrite: config.Conn{URL: config.Secret(p.PooledURL), PoolSize: 8, AppName: "service_test_rw"},
		ReadOnly:  config.Conn{URL: config.Secret(p.PooledReadOnlyURL), PoolSize: 8, AppName: "service_test_ro"},
		Pooler:    config.PoolerTransaction,
		Direct:    config.Conn{URL: config.Secret(p.URL), PoolSize: 2, AppName: "service_test_direct"},
	}, logger.Named("db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Stop(context.Background()) })
	kr := keyring(t, key1, map[sensitive.KeyRef][32]byte{key1: testKey(1)})
	e := &env{tdb: p.DB, raw: p.DB.OpenAdminDB(t), keys: kr, db: d}
	if e.svc, err = service.NewServices(logger, d, kr); err != nil {
		t.Fatal(err)
	}
	return e, p
}

// TestServicesBehindPgBouncer runs the services' main paths (creates with
// audit in one transaction, sealed columns, tags, scoping, pages, updates,
// deletes) from 8 goroutines at once through PgBouncer, then checks that no
// server session carries state from one client to the next.
func TestServicesBehindPgBouncer(t *testing.T) {
	e, p := newPooledEnv(t)
	f := newFixture(t, e) // two tenants, a user with sealed IdP info and tags, a connector, an object
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- func() error {
				ctx := service.WithActor(ctxT(t), fmt.Sprintf("test:worker-%d", w))
				ten, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: fmt.Sprintf("pooled-%d", w), DisplayName: "Pooled"})
				if err != nil {
					return err
				}
				u, err := e.svc.Users.TxCreateUser(ctx, ten.ID, service.CreateUserInput{
					Email: fmt.Sprintf("u%d@pooled.example", w), Tags: map[string]string{"team": "red", "tier": "gold"},
				})
				if err != nil {
					return err
				}
				if _, err := e.svc.Users.SetTag(ctx, ten.ID, u.ID, "team", "blue"); err != nil {
					return err
				}
				if err := e.svc.Users.DeleteTag(ctx, ten.ID, u.ID, "tier"); err != nil {
					return err
				}
				tags, err := e.svc.Users.ListTags(ctx, ten.ID, u.ID)
				if err != nil || len(tags) != 1 || tags[0].Value != "blue" {
					return fmt.Errorf("tags %+v, %v", tags, err)
				}
				priv, err := e.svc.Users.GetPrivate(ctx, f.a, f.user)
				if err != nil || priv.IdPUserInfo.Reveal().Subject != "sub-ann" {
					return fmt.Errorf("sealed IdP info: %v", err)
				}
				c, err := e.svc.Connectors.GetPrivate(ctx, f.a, f.connector)
				if err != nil || c.State.Reveal().ClientSecret != "secret-a" {
					return fmt.Errorf("sealed connector state: %v", err)
				}
				// Scoping: tenant B cannot see tenant A's user.
				if _, err := e.svc.Users.Get(ctx, f.b, f.user); !errors.Is(err, service.ErrNotFound) {
					return fmt.Errorf("cross-tenant get: %v, want ErrNotFound", err)
				}
				if _, err := e.svc.Tenants.List(ctx, entityid.TenantID{}, 50); err != nil {
					return err
				}
				name := "Renamed"
				if _, err := e.svc.Tenants.Update(ctx, ten.ID, service.UpdateTenantInput{DisplayName: &name}); err != nil {
					return err
				}
				if err := e.svc.Users.Delete(ctx, ten.ID, u.ID); err != nil {
					return err
				}
				// A duplicate slug fails inside its transaction and leaves it clean.
				if _, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: ten.Slug, DisplayName: "Dup"}); err == nil {
					return errors.New("duplicate slug accepted")
				}
				return nil
			}()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := e.count(t, "tenants"); n != 2+8 {
		t.Fatalf("%d tenants, want 10", n)
	}
	if n := e.count(t, "audit_events"); n == 0 {
		t.Fatal("no audit events recorded")
	}
	for _, u := range []string{p.PooledURL, p.PooledReadOnlyURL} {
		found, err := dbtest.SessionState(ctxT(t), u, p.Bouncer.PoolSize())
		if err != nil {
			t.Fatal(err)
		}
		if len(found) > 0 {
			t.Fatalf("session state left behind PgBouncer:\n%s", strings.Join(found, "\n"))
		}
	}
}
