package seedengine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/seedengine"
)

// TestEdgeStampAloneDecidesTheEnvironment: a database stamped for
// production whose ledger is empty (say, every seed row deleted by hand)
// is still refused to development seeds: the stamp alone decides. Bug
// caught (found by mutation testing): the stamp read but not kept, so only
// ledger rows would reveal the environment.
func TestEdgeStampAloneDecidesTheEnvironment(t *testing.T) {
	db := newTxDB(t, newTestDB(t))
	if _, err := db.pool.ExecContext(context.Background(),
		`INSERT INTO app_meta (key, value, updated_at) VALUES ($1, 'production', now())`, seedengine.AppMetaKey); err != nil {
		t.Fatal(err)
	}
	_, err := newRunner(t, db, config.Development, set(config.Development, "", []string{"0001_a"}, nil)).Run(context.Background(), seedengine.RunOptions{})
	var me *seedengine.EnvironmentMismatchError
	if !errors.As(err, &me) || me.Stamped != config.Production {
		t.Fatalf("Run on a database stamped production: %v, want *EnvironmentMismatchError", err)
	}
	if n := count(t, db, `SELECT count(*) FROM seeds`); n != 0 {
		t.Errorf("%d seeds applied to a production-stamped database", n)
	}
}
