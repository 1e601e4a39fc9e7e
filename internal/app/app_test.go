package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/zap/zaptest"

	"github.com/central/central/internal/app"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/httpapi"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func loadConfig(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

func TestKeyringSpecDevelopmentKey(t *testing.T) {
	dir := t.TempDir()
	cfg := loadConfig(t, map[string]string{"DATA_DIR": dir})

	// Several processes booting at once must agree on one key.
	specs := make([]string, 8)
	var wg sync.WaitGroup
	for i := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := app.KeyringSpec(cfg)
			if err != nil {
				t.Errorf("KeyringSpec: %v", err)
				return
			}
			specs[i] = s.Keys[0].URL
		}()
	}
	wg.Wait()
	for _, s := range specs[1:] {
		if s != specs[0] {
			t.Fatal("concurrent first starts created different development keys")
		}
	}
	info, err := os.Stat(filepath.Join(dir, "sensitive-dev.key"))
	if err != nil || info.Mode().Perm() != 0o600 || info.Size() != 32 {
		t.Fatalf("development key file: %v, %v", info, err)
	}
	again, err := app.KeyringSpec(cfg)
	if err != nil || again.Keys[0].URL != specs[0] {
		t.Errorf("a later start did not reuse the key: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sensitive-dev.key"), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := app.KeyringSpec(cfg); err == nil {
		t.Error("a truncated development key was accepted")
	}
}

func TestKeyringSpecProductionNeedsKeys(t *testing.T) {
	tdb := dbtest.New(t, dbtest.Empty())
	cfg := loadConfig(t, map[string]string{
		"APP_ENV": "production", "DATA_DIR": t.TempDir(),
		"POSTGRES_READWRITE_URL": tdb.URL, "POSTGRES_READONLY_URL": tdb.ReadOnlyURL,
	})
	if _, err := app.KeyringSpec(cfg); err == nil {
		t.Fatal("production started without SENSITIVE_KEYS")
	}
}

// TestServeBootsMigratesSeedsAndStops runs the whole application in-process
// on an external (per-test) database: migrations on an empty database,
// development seeds, HTTP, and an orderly stop.
func TestServeBootsMigratesSeedsAndStops(t *testing.T) {
	tdb := dbtest.New(t, dbtest.Empty())
	cfg := loadConfig(t, map[string]string{
		"DATA_DIR": t.TempDir(), "HTTP_ADDR": "127.0.0.1:0",
		"POSTGRES_READWRITE_URL": tdb.URL, "POSTGRES_READONLY_URL": tdb.ReadOnlyURL,
	})
	env, err := app.Prepare(context.Background(), cfg, zaptest.NewLogger(t), "test")
	if err != nil {
		t.Fatal(err)
	}
	if env.Embedded != nil {
		t.Fatal("an external database was configured, but the embedded server started")
	}
	var srv *httpapi.Server
	a := fxtest.New(t, app.ServeOptions(env), fx.Populate(&srv))
	a.RequireStart()
	base := "http://" + srv.Addr()

	get := func(path string, v any) int {
		t.Helper()
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if v != nil {
			if err := json.NewDecoder(res.Body).Decode(v); err != nil {
				t.Fatal(err)
			}
		}
		return res.StatusCode
	}
	if code := get("/readyz", nil); code != http.StatusOK {
		t.Fatalf("readyz = %d after start", code)
	}
	var page struct{ Items []struct{ Slug string } }
	get("/v1/tenants", &page)
	if len(page.Items) != 1 || page.Items[0].Slug != "technova" {
		t.Errorf("development seed not applied at boot: %+v", page.Items)
	}

	a.RequireStop()
	client := http.Client{Timeout: time.Second}
	if _, err := client.Get(base + "/livez"); err == nil {
		t.Error("the server still answers after stop")
	}
}
