package keyring_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/sensitive/keyring"
)

func TestModule(t *testing.T) {
	k1 := newKeyB64(t)
	core, logs := observer.New(zap.InfoLevel)
	var kr *sensitive.Keyring
	app := fxtest.New(t,
		fx.Supply(mustParse(t, "app:1=base64key://"+k1, "")),
		fx.Supply(zap.New(core)),
		keyring.Module,
		fx.Populate(&kr),
	)
	app.RequireStart()
	ctx := context.Background()
	s, err := sensitive.Seal(ctx, kr, plain)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := sensitive.Open(ctx, kr, s); err != nil || !reflect.DeepEqual(got, plain) {
		t.Fatalf("round trip: %v", err)
	}
	app.RequireStop()

	entries := logs.FilterMessage("keyring ready").All()
	if len(entries) != 1 || entries[0].ContextMap()["current"] != "app:1" {
		t.Fatalf("start-up log: %v", logs.All())
	}
	for _, e := range logs.All() {
		for _, f := range e.Context {
			if strings.Contains(f.String, k1[:12]) {
				t.Fatalf("log leaks key material: %v", e)
			}
		}
	}
}

func TestModuleFailsStartWhenKeyServiceIsDown(t *testing.T) {
	fv, srv := newFakeVault(t)
	fv.fail = http.StatusInternalServerError
	app := fx.New(
		fx.Supply(mustParse(t, "v:1=hashivault://central", "")),
		fx.Supply([]keyring.Option{keyring.WithVaultClient(vaultClient(t, srv.URL, fv.token))}),
		fx.Supply(zaptest.NewLogger(t)),
		keyring.Module,
		fx.Invoke(func(*sensitive.Keyring) {}),
		fx.NopLogger,
	)
	err := app.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), `check key "v:1"`) {
		t.Fatalf("Start = %v; want the key check to fail", err)
	}
}

func TestModuleRejectsBadSpec(t *testing.T) {
	app := fx.New(
		fx.Supply(keyring.Spec{}),
		fx.Supply(zaptest.NewLogger(t)),
		keyring.Module,
		fx.Invoke(func(*sensitive.Keyring) {}),
		fx.NopLogger,
	)
	if err := app.Err(); err == nil || !strings.Contains(err.Error(), "no keys configured") {
		t.Fatalf("Err = %v", err)
	}
}
