package schema_test

import (
	"context"
	"strings"
	"testing"

	"github.com/central/central/ent/usertag"
	"github.com/central/central/internal/jsonb"
)

// TestTagKeyRuleIsOne: the user tag key's Go validator, its PostgreSQL
// CHECK and the profile attribute keys accept and refuse the same keys,
// because all three are built from jsonb.TagKeyPattern. Deliberate bug: a
// copy of the rule in jsonb allowing upper case (`^[A-Za-z0-9]...`)
// makes "Team" pass one reader and not the others.
func TestTagKeyRuleIsOne(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, d := newClient(t)
	tn := createTenant(t, c, "tagkeys")
	u, err := c.User.Create().SetTenantID(tn.ID).SetEmail("ada@tagkeys.test").Save(adminCtx())
	if err != nil {
		t.Fatal(err)
	}
	db := d.OpenAdminDB(t)
	for _, tt := range []struct {
		key  string
		want bool
	}{
		{"team", true}, {"cost.center", true}, {"k8s:ns-1_x", true}, {"0", true}, {strings.Repeat("a", 64), true},
		{"", false}, {"Team", false}, {"_team", false}, {"-x", false}, {"a b", false}, {"é", false},
		{strings.Repeat("a", 65), false}, {"a\n", false},
	} {
		goOK := usertag.KeyValidator(tt.key) == nil
		profileOK := jsonb.UserProfile{Attributes: map[string]string{tt.key: "v"}}.Validate() == nil
		var sqlOK bool
		if err := db.QueryRowContext(ctx, `SELECT $1::text ~ $2`, tt.key, jsonb.TagKeyPattern).Scan(&sqlOK); err != nil {
			t.Fatal(err)
		}
		// The CHECK itself, not only the pattern: insert and roll back.
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, insErr := tx.ExecContext(ctx, `INSERT INTO user_tags (id, user_id, key, value) VALUES (gen_random_uuid(), $1, $2, 'v')`, u.ID, tt.key)
		_ = tx.Rollback()
		checkOK := insErr == nil
		if goOK != tt.want || profileOK != tt.want || sqlOK != tt.want || checkOK != tt.want {
			t.Errorf("key %q: want %t; ent validator %t, profile attribute %t, pattern in PostgreSQL %t, CHECK %t (%v)",
				tt.key, tt.want, goOK, profileOK, sqlOK, checkOK, insErr)
		}
	}
}
