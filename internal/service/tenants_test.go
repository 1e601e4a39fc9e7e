package service_test

import (
	"errors"
	"testing"

	"github.com/central/central/internal/service"
)

func TestTenantLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := service.WithActor(ctxT(t), "test:admin")
	ts := e.svc.Tenants

	created, err := ts.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "acme", DisplayName: "Acme Corp"})
	if err != nil {
		t.Fatal(err)
	}
	if created.Status != service.TenantActive || created.ID.IsZero() {
		t.Fatalf("created = %+v", created)
	}
	got, err := ts.Get(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Slug != "acme" || got.DisplayName != "Acme Corp" {
		t.Fatalf("Get = %+v", got)
	}
	bySlug, err := ts.GetBySlug(ctx, "acme")
	if err != nil || bySlug.ID != created.ID {
		t.Fatalf("GetBySlug = %+v, %v", bySlug, err)
	}
	name, status := "Acme Inc", service.TenantSuspended
	upd, err := ts.Update(ctx, created.ID, service.UpdateTenantInput{DisplayName: &name, Status: &status})
	if err != nil {
		t.Fatal(err)
	}
	if upd.DisplayName != name || upd.Status != status {
		t.Fatalf("Update = %+v", upd)
	}
	if err := ts.Delete(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Get(ctx, created.ID); !errors.Is(err, service.ErrNotFound) {
		t.Fatalf("Get after delete: err = %v, want ErrNotFound", err)
	}
	if err := ts.Delete(ctx, created.ID); !errors.Is(err, service.ErrNotFound) {
		t.Fatalf("Delete twice: err = %v, want ErrNotFound", err)
	}

	events, err := e.svc.Audit.ForEntity(ctx, created.ID, created.ID.String())
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, ev := range events {
		actions = append(actions, ev.Action)
		if ev.Actor != "test:admin" || ev.TenantID == nil || *ev.TenantID != created.ID {
			t.Errorf("event %+v: want actor test:admin and tenant %s", ev, created.ID)
		}
	}
	want := []string{"tenant.create", "tenant.update", "tenant.delete"}
	if len(actions) != len(want) {
		t.Fatalf("audit actions = %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Fatalf("audit actions = %v, want %v", actions, want)
		}
	}
}
