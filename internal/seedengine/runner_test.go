package seedengine_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/central/central/ent"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/seedengine"
)

func TestNewRejects(t *testing.T) {
	db := &txDB{}
	dev := set(config.Development, "", []string{"0001_a"}, nil)
	prod := set(config.Production, "", []string{"PROD_0001_a"}, nil)
	tests := []struct {
		name string
		db   seedengine.Database
		env  config.Env
		set  seedengine.Set[deps]
		opts []seedengine.Option
		want string
	}{
		{"nil database", nil, config.Development, dev, nil, "database is nil"},
		{"production with development set", db, config.Production, dev, nil, "APP_ENV=production runs the production seed set"},
		{"development with production set", db, config.Development, prod, nil, "APP_ENV=development runs the development seed set"},
		{"test with production set", db, config.Test, prod, nil, "APP_ENV=test runs the development seed set"},
		{"unknown environment", db, "staging", dev, nil, `unknown environment "staging"`},
		{"warn on change outside development", db, config.Test, dev, []seedengine.Option{seedengine.WithChanged(config.SeedChangedWarn)}, "allowed only in development"},
		{"warn on change in production", db, config.Production, prod, []seedengine.Option{seedengine.WithChanged(config.SeedChangedWarn)}, "allowed only in development"},
		{"bad changed mode", db, config.Development, dev, []seedengine.Option{seedengine.WithChanged("ignore")}, `unknown mode "ignore"`},
		{"nil logger", db, config.Development, dev, []seedengine.Option{seedengine.WithLogger(nil)}, "logger is nil"},
		{"nil progress", db, config.Development, dev, []seedengine.Option{seedengine.WithProgress(nil)}, "writer is nil"},
		{"nil clock", db, config.Development, dev, []seedengine.Option{seedengine.WithClock(nil)}, "clock is nil"},
		{"invalid set", db, config.Production, set(config.Production, "", []string{"0001_a"}, nil), nil, "must start with \"PROD\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := seedengine.New(tt.db, tt.env, tt.set, deps{db}, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestRunAppliesInOrderAndIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db := newTxDB(t, newTestDB(t))
	var order []string
	rec := func(name string) seedengine.Func[deps] {
		return func(ctx context.Context, d deps) error {
			order = append(order, name)
			if seedengine.Name(ctx) != name {
				return fmt.Errorf("seedengine.Name(ctx) = %q, want %q", seedengine.Name(ctx), name)
			}
			return mkTenant(slugOf(name))(ctx, d)
		}
	}
	names := []string{"0003_c", "0001_a", "0002_b"}
	funcs := map[string]seedengine.Func[deps]{}
	for _, n := range names {
		funcs[n] = rec(n)
	}
	var out bytes.Buffer
	r := newRunner(t, db, config.Development, set(config.Development, "", names, funcs),
		seedengine.WithProgress(&out), seedengine.WithAppVersion("v1.2.3"))

	rep, err := r.Run(ctx, seedengine.RunOptions{})
	if err != nil {
		t.Fatalf("first Run: %v", err)
	}
	if got := fmt.Sprint(order); got != "[0001_a 0002_b 0003_c]" {
		t.Errorf("run order = %s", got)
	}
	if len(rep.Applied) != 3 || !rep.Locked || len(rep.Pending) != 0 {
		t.Errorf("first report = %+v, want 3 applied under the lock", rep)
	}
	for _, want := range []string{"seed 0001_a: start\n", "seed 0001_a: done in ", "seed 0003_c: done in "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("progress output lacks %q:\n%s", want, out.String())
		}
	}

	rows, err := db.client.Seed.Query().Order(ent.Asc("name")).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	loaded := r.Seeds()
	for i, row := range rows {
		if row.Name != loaded[i].Name || row.Sha256 != loaded[i].SHA256 || string(row.Environment) != "development" ||
			row.AppVersion != "v1.2.3" || row.AppliedAt.IsZero() || row.DurationMs < 0 {
			t.Errorf("ledger row %d = %+v, want %s with its hash", i, row, loaded[i].Name)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM app_meta WHERE key = 'seed_environment' AND value = 'development'`); n != 1 {
		t.Errorf("environment stamp rows = %d, want 1", n)
	}

	// Second and third runs: nothing runs, no lock taken, nothing changes.
	for i := range 2 {
		rep, err = r.Run(ctx, seedengine.RunOptions{})
		if err != nil {
			t.Fatalf("Run %d: %v", i+2, err)
		}
		if len(rep.Applied) != 0 || rep.Locked {
			t.Errorf("Run %d report = %+v, want nothing applied and no lock", i+2, rep)
		}
	}
	if len(order) != 3 {
		t.Errorf("seed functions ran %d times, want 3", len(order))
	}
	if n := count(t, db, `SELECT count(*) FROM tenants`); n != 3 {
		t.Errorf("tenants = %d, want 3", n)
	}
}
