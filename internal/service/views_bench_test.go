package service

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gocloud.dev/secrets/localsecrets"

	"github.com/central/central/ent"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/sensitive"
)

// BenchmarkUserViews isolates, from database noise, what the private view
// adds to mapping a loaded user: opening its ~1 KiB sealed idp_user_info
// with the local keeper. The row is scanned the same way for both views.
func BenchmarkUserViews(b *testing.B) {
	ctx := context.Background()
	ref := sensitive.KeyRef{ID: "local", Version: 1}
	var key [32]byte
	kr, err := sensitive.NewKeyring(ref, map[sensitive.KeyRef]sensitive.Keeper{ref: localsecrets.NewKeeper(key)})
	if err != nil {
		b.Fatal(err)
	}
	info := jsonb.IdPUserInfo{Subject: "00u1abcdefghijklmnop", Issuer: "https://idp.example", Email: "alice@example.com",
		Groups: []string{"admins", "dev", "ops"}, Claims: map[string]any{"note": ""}}
	js, _ := json.Marshal(info)
	info.Claims["note"] = strings.Repeat("x", 1024-len(js))
	id := entityid.NewUserID()
	sealed, err := sensitive.SealAt(ctx, kr, userInfoAt(id), info)
	if err != nil {
		b.Fatal(err)
	}
	// Round-trip through the stored form, as a read from PostgreSQL would.
	stored, _ := sealed.Value()
	var scanned jsonb.SealedIdPUserInfo
	if err := scanned.Scan(stored); err != nil {
		b.Fatal(err)
	}
	u := &ent.User{ID: id, TenantID: entityid.NewTenantID(), Email: "alice@example.com",
		Status: "active", CreatedAt: time.Now(), UpdatedAt: time.Now(), IdpUserInfo: scanned,
		Edges: ent.UserEdges{Tags: []*ent.UserTag{{ID: entityid.NewUserTagID(), Key: "team", Value: "red"}}}}

	b.Run("public", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = toUserPublic(u)
		}
	})
	b.Run("private", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, err := toUserPrivate(ctx, kr, u)
			if err != nil || !p.IdPUserInfo.IsSet() {
				b.Fatal(err)
			}
		}
	})
}
