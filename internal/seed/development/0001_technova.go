package development

import (
	"context"
	"fmt"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/seed"
	"github.com/central/central/internal/service"
)

// TechNovaTenantID is the fixed ID of the TechNova Global demo tenant, so
// links and API calls in docs and scripts keep working across fresh
// databases. (The original design used the nil UUID; a nil ID reads as "no
// ID" to the services, so this is a fixed ULID instead.)
const TechNovaTenantID = "tenant-01JDQ7G00000000000TECHN0VA"

// technova creates the TechNova Global tenant with its users and tags.
func technova(ctx context.Context, d seed.Deps) error {
	tid, err := entityid.ParseTenantID(TechNovaTenantID)
	if err != nil {
		return err
	}
	t, err := d.Services.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{
		ID:          tid,
		Slug:        "technova",
		DisplayName: "TechNova Global",
	})
	if err != nil {
		return err
	}
	// The demo users, with fixed IDs and tags.
	users := []struct {
		id, email, name string
		tags            map[string]string
	}{
		{"user-01JDQ7G0000000000TECHN0VA1", "ada@technova.example", "Ada Lovelace", map[string]string{"role": "admin", "team": "platform"}},
		{"user-01JDQ7G0000000000TECHN0VA2", "grace@technova.example", "Grace Hopper", map[string]string{"role": "member", "team": "compilers"}},
		{"user-01JDQ7G0000000000TECHN0VA3", "linus@technova.example", "Linus Torvalds", map[string]string{"role": "member", "team": "kernel", "oncall": "true"}},
	}
	for i, u := range users {
		uid, err := entityid.ParseUserID(u.id)
		if err != nil {
			return err
		}
		if _, err := d.Services.Users.TxCreateUser(ctx, t.ID, service.CreateUserInput{
			ID:          uid,
			Email:       u.email,
			DisplayName: u.name,
			Tags:        u.tags,
		}); err != nil {
			return fmt.Errorf("user %s: %w", u.email, err)
		}
		seed.Progress(ctx).Count("users", int64(i+1), int64(len(users)))
	}
	return nil
}
