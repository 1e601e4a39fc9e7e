package app_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"
	"go.uber.org/zap/zaptest"

	"github.com/central/central/internal/app"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/seed"
)

// hookOrder records the OnStart hooks fx runs, by the function that
// appended them.
type hookOrder struct {
	mu      sync.Mutex
	callers []string
}

func (h *hookOrder) LogEvent(e fxevent.Event) {
	if e, ok := e.(*fxevent.OnStartExecuted); ok && e.Err == nil {
		h.mu.Lock()
		h.callers = append(h.callers, e.CallerName)
		h.mu.Unlock()
	}
}

func (h *hookOrder) index(t *testing.T, caller string) int {
	t.Helper()
	for i, c := range h.callers {
		if strings.HasSuffix(c, caller) {
			return i
		}
	}
	t.Fatalf("no OnStart hook appended by %s ran; ran: %v", caller, h.callers)
	return -1
}

// TestBootOrderIsADataDependency lists the seed module before the
// migration module (and the other way round) on an empty database: either
// way the migrations run first and the seeds find their schema, because
// the seed hook's constructor needs boot.Migrated, which only the
// migration hook's constructor provides. Order the hooks by listing
// instead (an fx.Invoke per stage, no token) and the reversed listing runs
// the seeds on an empty database, which fails.
func TestBootOrderIsADataDependency(t *testing.T) {
	for _, tt := range []struct {
		name    string
		modules []fx.Option
	}{
		{"seeds listed first", []fx.Option{seed.Module, app.MigrateModule}},
		{"migrations listed first", []fx.Option{app.MigrateModule, seed.Module}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tdb := dbtest.New(t, dbtest.Empty())
			cfg := loadConfig(t, map[string]string{
				"DATA_DIR": t.TempDir(), "POSTGRES_READWRITE_URL": tdb.URL, "POSTGRES_READONLY_URL": tdb.ReadOnlyURL,
			})
			env, err := app.Prepare(context.Background(), cfg, zaptest.NewLogger(t), "test")
			if err != nil {
				t.Fatal(err)
			}
			order := &hookOrder{}
			a := fx.New(app.Options(env), fx.Options(tt.modules...), fx.WithLogger(func() fxevent.Logger { return order }))
			if err := a.Err(); err != nil {
				t.Fatal(err)
			}
			if err := a.Start(context.Background()); err != nil {
				t.Fatalf("start: %v", err)
			}
			t.Cleanup(func() { _ = a.Stop(context.Background()) })
			if m, s := order.index(t, "app.registerMigrations"), order.index(t, "seed.registerHook"); m > s {
				t.Fatalf("seeds (hook %d) ran before migrations (hook %d): %v", s, m, order.callers)
			}
			var n int
			if err := tdb.OpenDB(t).QueryRow(`SELECT count(*) FROM seeds`).Scan(&n); err != nil || n == 0 {
				t.Fatalf("seeds applied: %d, %v", n, err)
			}
		})
	}
}

// TestSeedsWithoutMigrationsDoNotAssemble: an application with the seed
// stage but no migration stage is refused by fx.New, naming the missing
// boot.Migrated, rather than seeding an unmigrated database.
func TestSeedsWithoutMigrationsDoNotAssemble(t *testing.T) {
	tdb := dbtest.New(t, dbtest.Empty())
	cfg := loadConfig(t, map[string]string{
		"DATA_DIR": t.TempDir(), "POSTGRES_READWRITE_URL": tdb.URL, "POSTGRES_READONLY_URL": tdb.ReadOnlyURL,
	})
	env, err := app.Prepare(context.Background(), cfg, zaptest.NewLogger(t), "test")
	if err != nil {
		t.Fatal(err)
	}
	a := fx.New(app.Options(env), seed.Module, fx.NopLogger)
	if err := a.Err(); err == nil || !strings.Contains(err.Error(), "boot.Migrated") {
		t.Fatalf("fx.New = %v, want a missing boot.Migrated", err)
	}
}
