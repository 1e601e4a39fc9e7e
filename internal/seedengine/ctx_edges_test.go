package seedengine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/seedengine"
)

// TestEdgeRunWithEndedContext: a context already ended fails Run at its
// first read, saying which, and not as an unmigrated schema. Bugs caught
// (found by mutation testing): the read error swallowed (Run going on with
// an empty ledger), or every error taken for "undefined table" (a nil
// *PgError dereferenced for a context error).
func TestEdgeRunWithEndedContext(t *testing.T) {
	db := newTxDB(t, newTestDB(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newRunner(t, db, config.Development, set(config.Development, "", []string{"0001_a"}, nil)).Run(ctx, seedengine.RunOptions{})
	if err == nil || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "read environment stamp") {
		t.Fatalf("Run with an ended context: %v; want context.Canceled from reading the environment stamp", err)
	}
	if strings.Contains(err.Error(), "not migrated") {
		t.Errorf("a context error was reported as an unmigrated schema: %v", err)
	}
}
