package service_test

import (
	"context"
	"errors"
	"testing"

	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/service"
)

var errAbort = errors.New("abort on purpose")

// threeCalls creates a tenant, a user with a tag and a connector through
// three service calls (two Tx-prefixed, one joining), reading the user back
// inside the transaction.
func threeCalls(t *testing.T, e *env) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		tn, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "composed", DisplayName: "Composed"})
		if err != nil {
			return err
		}
		u, err := e.svc.Users.TxCreateUser(ctx, tn.ID, service.CreateUserInput{
			Email: "c@composed.example", Tags: map[string]string{"k": "v"},
			IdPUserInfo: &jsonb.IdPUserInfo{Subject: "s"},
		})
		if err != nil {
			return err
		}
		if _, err := e.svc.Connectors.Create(ctx, tn.ID, service.CreateConnectorInput{
			Name: "c", Issuer: "https://c.example", ClientID: "c", State: jsonb.OIDCConnectorState{ClientSecret: "x"},
		}); err != nil {
			return err
		}
		// Reads inside the transaction see its own writes.
		got, err := e.svc.Users.GetPrivate(ctx, tn.ID, u.ID)
		if err != nil {
			return err
		}
		if got.IdPUserInfo.Reveal().Subject != "s" || len(got.Tags) != 1 {
			t.Errorf("read inside tx: %+v", got)
		}
		return nil
	}
}

func TestComposeThreeCallsRollback(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	before := e.snapshot(t)
	err := e.db.WithTx(ctx, func(ctx context.Context) error {
		if err := threeCalls(t, e)(ctx); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("WithTx = %v, want errAbort", err)
	}
	if after := e.snapshot(t); after != before {
		t.Fatalf("rolled-back transaction left rows: %s → %s", before, after)
	}
	for _, table := range []string{"tenants", "users", "user_tags", "oidc_connectors", "audit_events"} {
		if n := e.count(t, table); n != 0 {
			t.Errorf("%s: %d rows after rollback, want 0", table, n)
		}
	}
}

func TestComposeThreeCallsPanicRollsBack(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic not propagated")
			}
		}()
		_ = e.db.WithTx(ctx, func(ctx context.Context) error {
			if err := threeCalls(t, e)(ctx); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	if n := e.count(t, "tenants") + e.count(t, "users") + e.count(t, "oidc_connectors") + e.count(t, "audit_events"); n != 0 {
		t.Fatalf("%d rows after a panicking transaction, want 0", n)
	}
}

func TestComposeThreeCallsCommit(t *testing.T) {
	e := newEnv(t)
	ctx := service.WithActor(ctxT(t), "test")
	if err := e.db.WithTx(ctx, threeCalls(t, e)); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"tenants": 1, "users": 1, "user_tags": 1, "oidc_connectors": 1, "audit_events": 3}
	for table, n := range want {
		if got := e.count(t, table); got != n {
			t.Errorf("%s: %d rows, want %d", table, got, n)
		}
	}
}

// TestTxMethodIsASavepoint: a failing Tx-prefixed call inside an outer
// transaction rolls back only its own work (and its audit row); the outer
// transaction goes on and commits.
func TestTxMethodIsASavepoint(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	err := e.db.WithTx(ctx, func(ctx context.Context) error {
		tn, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "outer", DisplayName: "Outer"})
		if err != nil {
			return err
		}
		if _, err := e.svc.Users.TxCreateUser(ctx, tn.ID, service.CreateUserInput{Email: "a@outer.example"}); err != nil {
			return err
		}
		// Same email again, with tags: the user insert fails, so nothing of
		// this call (tags, audit) may remain.
		_, err = e.svc.Users.TxCreateUser(ctx, tn.ID, service.CreateUserInput{Email: "a@outer.example", Tags: map[string]string{"x": "y"}})
		if !errors.Is(err, service.ErrConflict) {
			t.Errorf("duplicate inside tx: err = %v, want ErrConflict", err)
		}
		// A tag-creation failure after the user insert rolls the user back too.
		_, err = e.svc.Users.TxCreateUser(ctx, tn.ID, service.CreateUserInput{Email: "b@outer.example", Tags: map[string]string{"BAD KEY": "y"}})
		if !errors.Is(err, service.ErrInvalid) {
			t.Errorf("bad tag inside tx: err = %v, want ErrInvalid", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"tenants": 1, "users": 1, "user_tags": 0, "audit_events": 2}
	for table, n := range want {
		if got := e.count(t, table); got != n {
			t.Errorf("%s: %d rows, want %d", table, got, n)
		}
	}
}

// TestFailedWriteLeavesNoAudit: outside any transaction, a write that fails
// leaves neither the row nor an audit event.
func TestFailedWriteLeavesNoAudit(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	tn, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "solo", DisplayName: "Solo"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Connectors.Create(ctx, tn.ID, service.CreateConnectorInput{Name: "n", Issuer: "https://x.example", ClientID: "c"}); err != nil {
		t.Fatal(err)
	}
	before := e.count(t, "audit_events")
	if _, err := e.svc.Connectors.Create(ctx, tn.ID, service.CreateConnectorInput{Name: "n", Issuer: "https://x.example", ClientID: "c"}); !errors.Is(err, service.ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	if after := e.count(t, "audit_events"); after != before {
		t.Fatalf("audit events %d → %d after a failed write", before, after)
	}
}

// TestFailedWriteLeavesTheCallersTransactionUsable: a plain write that fails
// inside a caller's transaction (here a unique conflict) rolls back to its
// own savepoint, so the caller can branch on the error and carry on.
func TestFailedWriteLeavesTheCallersTransactionUsable(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	a, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "acme", DisplayName: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	ann, err := e.svc.Users.TxCreateUser(ctx, a.ID, service.CreateUserInput{Email: "ann@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := e.svc.Users.TxCreateUser(ctx, a.ID, service.CreateUserInput{Email: "bob@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	taken := "ann@acme.example"
	err = e.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := e.svc.Users.Update(ctx, a.ID, bob.ID, service.UpdateUserInput{Email: &taken}); !errors.Is(err, service.ErrConflict) {
			t.Fatalf("update to a taken email: %v, want ErrConflict", err)
		}
		// The caller carries on in the same transaction.
		_, err := e.svc.Users.SetTag(ctx, a.ID, ann.ID, "team", "core")
		return err
	})
	if err != nil {
		t.Fatalf("the transaction did not survive a failed write: %v", err)
	}
	tags, err := e.svc.Users.ListTags(ctx, a.ID, ann.ID)
	if err != nil || len(tags) != 1 || tags[0].Value != "core" {
		t.Errorf("tags after commit: %+v, %v", tags, err)
	}
	got, err := e.svc.Users.Get(ctx, a.ID, bob.ID)
	if err != nil || got.Email != "bob@acme.example" {
		t.Errorf("bob after the failed update: %+v, %v", got, err)
	}
}
