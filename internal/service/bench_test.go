package service_test

import (
	"encoding/json"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/service"
)

// BenchmarkUserRead compares reading one user (with its tags: two queries)
// through the public view, which ignores the sealed idp_user_info, and the
// private view, which opens a ~1 KiB sealed value with the local keeper.
// The difference is what sealing adds to a read; for encrypt+decrypt alone
// see internal/sensitive's BenchmarkSealOpen1KiB.
func BenchmarkUserRead(b *testing.B) {
	e := newEnvLogged(b, keyring(b, key1, map[sensitive.KeyRef][32]byte{key1: testKey(1)}), zap.NewNop())
	ctx := ctxT(b)
	tn, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "bench", DisplayName: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	info := jsonb.IdPUserInfo{Subject: "00u1abcdefghijklmnop", Issuer: "https://idp.example", Email: "alice@example.com",
		Groups: []string{"admins", "dev", "ops"}, Claims: map[string]any{"note": ""}}
	js, _ := json.Marshal(info)
	info.Claims["note"] = strings.Repeat("x", 1024-len(js))
	if js, _ = json.Marshal(info); len(js) != 1024 {
		b.Fatalf("idp_user_info is %d bytes of JSON, want 1024", len(js))
	}
	u, err := e.svc.Users.TxCreateUser(ctx, tn.ID, service.CreateUserInput{
		Email: "alice@example.com", IdPUserInfo: &info, Tags: map[string]string{"team": "red"},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("public", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.svc.Users.Get(ctx, tn.ID, u.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("private", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, err := e.svc.Users.GetPrivate(ctx, tn.ID, u.ID)
			if err != nil {
				b.Fatal(err)
			}
			if !p.IdPUserInfo.IsSet() {
				b.Fatal("not opened")
			}
		}
	})
}
