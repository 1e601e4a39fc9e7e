package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
	"gocloud.dev/secrets/localsecrets"

	"github.com/central/central/ent"
	"github.com/central/central/internal/config"
	centraldb "github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/sensitive/keyring"
	"github.com/central/central/internal/service"
)

// TestCLIRekeyRotatesUnderRowSecurity: `app db rekey`, run as the app's role
// (row-level security on every tenant-owned table), moves every sealed value
// of two tenants from the development key (DATA_DIR) to a new current key
// given by SENSITIVE_KEYS, and a second run finds nothing left.
//
// Deliberate bugs it catches: the job's statements run without a tenant (the
// app's role then sees no tenant-owned row: "rekeyed 0"), or the command
// walking a hand-kept column list that misses one of ent.SealedColumns.
func TestCLIRekeyRotatesUnderRowSecurity(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	dataDir := t.TempDir()
	env := map[string]string{
		"POSTGRES_READWRITE_URL": db.URL,
		"POSTGRES_READONLY_URL":  db.ReadOnlyURL,
		"DATA_DIR":               dataDir,
		"LOG_LEVEL":              "warn",
	}
	// The development key the CLI reads from DATA_DIR (dev:1), and values
	// sealed under it in two tenants, written through the services as the
	// app's role.
	devKey := make([]byte, 32)
	for i := range devKey {
		devKey[i] = byte(3*i + 1)
	}
	if err := os.WriteFile(filepath.Join(dataDir, "sensitive-dev.key"), devKey, 0o600); err != nil {
		t.Fatal(err)
	}
	fillSealed(t, db, devKey)
	admin := connect(t, db.AdminURL)
	sealed := func(kver int) int {
		t.Helper()
		n := 0
		for _, c := range ent.SealedColumns() {
			var k int
			col := pgx.Identifier{c.Column}.Sanitize()
			q := "SELECT count(*) FROM " + pgx.Identifier{c.Table}.Sanitize() + " WHERE " + col + "->>'kid' = 'dev' AND (" + col + "->>'kver')::int = $1"
			if err := admin.QueryRow(context.Background(), q, kver).Scan(&k); err != nil {
				t.Fatal(err)
			}
			n += k
		}
		return n
	}
	before := sealed(1)
	if before == 0 {
		t.Fatal("the development seed stores no sealed value: nothing to rotate")
	}

	// Rotate: the development key stays configured as dev:1, a new key dev:2
	// becomes current.
	old, err := keyring.LocalKeyURL(devKey)
	if err != nil {
		t.Fatal(err)
	}
	fresh := make([]byte, 32)
	for i := range fresh {
		fresh[i] = byte(7 * i)
	}
	next, err := keyring.LocalKeyURL(fresh)
	if err != nil {
		t.Fatal(err)
	}
	env["SENSITIVE_KEYS"] = "dev:1=" + old + ",dev:2=" + next
	env["SENSITIVE_CURRENT_KEY"] = "dev:2"
	res := runCLI(t, env, "db", "rekey", "--batch-size", "2")
	if res.code != 0 {
		t.Fatalf("db rekey: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	m := regexp.MustCompile(`rekeyed (\d+) value\(s\) under dev:2`).FindStringSubmatch(res.stdout)
	if m == nil {
		t.Fatalf("db rekey output lacks the total:\n%s", res.stdout)
	}
	if n, _ := strconv.Atoi(m[1]); n != before {
		t.Errorf("db rekey rekeyed %d values, want %d (every value under dev:1)\n%s", n, before, res.stdout)
	}
	if left, moved := sealed(1), sealed(2); left != 0 || moved != before {
		t.Errorf("after db rekey: %d values under dev:1, %d under dev:2; want 0 and %d", left, moved, before)
	}
	res = runCLI(t, env, "db", "rekey")
	if res.code != 0 || !regexp.MustCompile(`rekeyed 0 value\(s\) under dev:2`).MatchString(res.stdout) {
		t.Fatalf("second db rekey: exit %d, want nothing left to do\n%s\n%s", res.code, res.stdout, res.stderr)
	}
}

// fillSealed creates two tenants, each with users and a connector holding
// values sealed under key (as dev:1), through the services.
func fillSealed(t *testing.T, db *dbtest.DB, key []byte) {
	t.Helper()
	ctx := context.Background()
	d, err := centraldb.Open(ctx, config.Postgres{
		ReadWrite: config.Conn{URL: config.Secret(db.URL), PoolSize: 2},
		ReadOnly:  config.Conn{URL: config.Secret(db.ReadOnlyURL), PoolSize: 2},
	}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop(ctx)
	ref := sensitive.KeyRef{ID: "dev", Version: 1}
	kr, err := sensitive.NewKeyring(ref, map[sensitive.KeyRef]sensitive.Keeper{ref: localsecrets.NewKeeper([32]byte(key))})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.NewServices(zap.NewNop(), d, kr)
	if err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"alpha", "beta"} {
		tn, err := svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: slug, DisplayName: slug})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			in := service.CreateUserInput{Email: fmt.Sprintf("u%d@%s.example", i, slug), IdPUserInfo: &jsonb.IdPUserInfo{Subject: fmt.Sprintf("%s-%d", slug, i)}}
			if _, err := svc.Users.TxCreateUser(ctx, tn.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.Connectors.Create(ctx, tn.ID, service.CreateConnectorInput{
			Name: "idp", Issuer: "https://idp.example", ClientID: "cid",
			State: jsonb.OIDCConnectorState{ClientSecret: "secret-" + slug},
		}); err != nil {
			t.Fatal(err)
		}
	}
}
