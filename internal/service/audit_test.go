package service_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/service"
)

// TestAuditEveryWrite performs every kind of write and checks the audit
// event it left: one per write, with the action, entity, tenant, actor and
// the injected clock's time.
func TestAuditEveryWrite(t *testing.T) {
	e := newEnv(t)
	at := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	svc, err := service.NewServices(zaptest.NewLogger(t), e.db, e.keys, service.WithClock(func() time.Time { return at }))
	if err != nil {
		t.Fatal(err)
	}
	ctx := service.WithActor(ctxT(t), "user-01H2XVNZ7C9NXWK3TMCRD9QWMN")

	tn, err := svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "audited", DisplayName: "Audited"})
	if err != nil {
		t.Fatal(err)
	}
	var (
		user   entityid.UserID
		tag    entityid.UserTagID
		conn   entityid.OIDCConnectorID
		object entityid.StoredObjectID
	)
	name := "Renamed"
	size := int64(7)

	steps := []struct {
		action string
		write  func() (entity string, err error)
	}{
		{"tenant.update", func() (string, error) {
			_, err := svc.Tenants.Update(ctx, tn.ID, service.UpdateTenantInput{DisplayName: &name})
			return tn.ID.String(), err
		}},
		{"user.create", func() (string, error) {
			u, err := svc.Users.TxCreateUser(ctx, tn.ID, service.CreateUserInput{Email: "a@audited.example"})
			user = u.ID
			return u.ID.String(), err
		}},
		{"user.update", func() (string, error) {
			_, err := svc.Users.Update(ctx, tn.ID, user, service.UpdateUserInput{DisplayName: &name})
			return user.String(), err
		}},
		{"user.set_idp_info", func() (string, error) {
			return user.String(), svc.Users.SetIdPUserInfo(ctx, tn.ID, user, &jsonb.IdPUserInfo{Subject: "s"})
		}},
		{"user_tag.set", func() (string, error) {
			tg, err := svc.Users.SetTag(ctx, tn.ID, user, "team", "red")
			tag = tg.ID
			return tg.ID.String(), err
		}},
		{"user_tag.set", func() (string, error) { // update in place: same tag ID
			tg, err := svc.Users.SetTag(ctx, tn.ID, user, "team", "blue")
			if err == nil && (tg.ID != tag || tg.Value != "blue") {
				t.Errorf("SetTag update: got %+v, want ID %s with value blue", tg, tag)
			}
			return tag.String(), err
		}},
		{"user_tag.delete", func() (string, error) {
			return tag.String(), svc.Users.DeleteTag(ctx, tn.ID, user, "team")
		}},
		{"oidc_connector.create", func() (string, error) {
			c, err := svc.Connectors.Create(ctx, tn.ID, service.CreateConnectorInput{Name: "n", Issuer: "https://i.example", ClientID: "c"})
			conn = c.ID
			return c.ID.String(), err
		}},
		{"oidc_connector.update", func() (string, error) {
			_, err := svc.Connectors.Update(ctx, tn.ID, conn, service.UpdateConnectorInput{Name: &name})
			return conn.String(), err
		}},
		{"oidc_connector.set_state", func() (string, error) {
			return conn.String(), svc.Connectors.SetState(ctx, tn.ID, conn, jsonb.OIDCConnectorState{ClientSecret: "x"})
		}},
		{"oidc_connector.delete", func() (string, error) {
			return conn.String(), svc.Connectors.Delete(ctx, tn.ID, conn)
		}},
		{"stored_object.create", func() (string, error) {
			o, err := svc.Objects.Create(ctx, tn.ID, service.CreateObjectInput{Bucket: "bucket-a", ObjectName: "k", SizeBytes: 1})
			object = o.ID
			return o.ID.String(), err
		}},
		{"stored_object.update", func() (string, error) {
			_, err := svc.Objects.Update(ctx, tn.ID, object, service.UpdateObjectInput{SizeBytes: &size})
			return object.String(), err
		}},
		{"stored_object.delete", func() (string, error) {
			return object.String(), svc.Objects.Delete(ctx, tn.ID, object)
		}},
		{"user.delete", func() (string, error) {
			return user.String(), svc.Users.Delete(ctx, tn.ID, user)
		}},
		{"tenant.delete", func() (string, error) {
			return tn.ID.String(), svc.Tenants.Delete(ctx, tn.ID)
		}},
	}
	for _, st := range steps {
		before := e.count(t, "audit_events")
		entity, err := st.write()
		if err != nil {
			t.Fatalf("%s: %v", st.action, err)
		}
		if n := e.count(t, "audit_events"); n != before+1 {
			t.Fatalf("%s: %d new audit events, want 1", st.action, n-before)
		}
		ev := lastAudit(t, e, ctx, tn.ID)
		if ev.Action != st.action || ev.EntityID != entity || ev.Actor != service.ActorFrom(ctx) ||
			ev.TenantID == nil || *ev.TenantID != tn.ID || !ev.At.Equal(at) {
			t.Errorf("%s: audit event %+v", st.action, ev)
		}
	}
	// The trail outlives the tenant (no foreign key) and lists in order.
	p, err := svc.Audit.List(ctx, tn.ID, entityid.AuditEventID{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != len(steps)+1 || p.Items[0].Action != "tenant.create" {
		t.Fatalf("trail has %d events starting with %+v", len(p.Items), p.Items[0])
	}
}

func lastAudit(t *testing.T, e *env, ctx context.Context, tenant entityid.TenantID) service.AuditEvent {
	t.Helper()
	var id string
	if err := e.raw.QueryRowContext(ctx, "SELECT entity_id FROM audit_events ORDER BY id DESC LIMIT 1").Scan(&id); err != nil {
		t.Fatal(err)
	}
	evs, err := e.svc.Audit.ForEntity(ctx, tenant, id)
	if err != nil || len(evs) == 0 {
		t.Fatalf("ForEntity(%s) = %v, %v", id, evs, err)
	}
	return evs[len(evs)-1]
}
