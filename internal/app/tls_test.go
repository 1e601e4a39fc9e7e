package app_test

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/fx/fxtest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/central/central/internal/app"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/dbtest"
)

// TestInsecureTLSIsLoggedAtStart: each connection production accepted only
// because of POSTGRES_ALLOW_INSECURE_TLS is logged at warn level when the
// application is assembled, naming the variable. Deliberate bug: dropping
// the warnInsecureTLS invoke (the override would be silent).
func TestInsecureTLSIsLoggedAtStart(t *testing.T) {
	tdb := dbtest.New(t)
	cfg := loadConfig(t, map[string]string{
		"DATA_DIR": t.TempDir(), "POSTGRES_READWRITE_URL": tdb.URL, "POSTGRES_READONLY_URL": tdb.ReadOnlyURL,
	})
	// Tests connect only to loopback, which the policy exempts: the parsed
	// result of an override for a remote host is set by hand.
	cfg.Postgres.AllowInsecureTLS = true
	cfg.Postgres.InsecureTLS = []config.InsecureTarget{{Var: "POSTGRES_REPLICA_URLS", SSLMode: "require"}}
	core, logs := observer.New(zapcore.InfoLevel)
	env, err := app.Prepare(context.Background(), cfg, zap.New(core), "test")
	if err != nil {
		t.Fatal(err)
	}
	fxtest.New(t, app.Options(env)).RequireStart().RequireStop()
	warned := logs.FilterLevelExact(zapcore.WarnLevel).FilterField(zap.String("variable", "POSTGRES_REPLICA_URLS")).All()
	if len(warned) != 1 || !strings.Contains(warned[0].Message, "INSECURE") {
		t.Errorf("insecure connection not logged at warn: %v", logs.All())
	}
}
