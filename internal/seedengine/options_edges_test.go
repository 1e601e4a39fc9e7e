package seedengine_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/seedengine"
)

// TestEdgeRunnerOptions: negative durations are refused, a logger given is
// used, and warnings are shown even when nothing is pending. Bugs caught
// (found by mutation testing): an option's error swallowed or its value
// dropped, the warnings of a run with nothing to do not printed.
func TestEdgeRunnerOptions(t *testing.T) {
	db := newTxDB(t, newTestDB(t))
	s := set(config.Development, "", []string{"0001_first_one"}, nil)
	for _, tc := range []struct {
		opt  seedengine.Option
		want string
	}{
		{seedengine.WithProgressInterval(-time.Second), "WithProgressInterval: -1s is negative"},
		{seedengine.WithLockTimeout(-time.Second), "WithLockTimeout: -1s is negative"},
	} {
		if _, err := seedengine.New(db, config.Development, s, deps{db}, tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New: %v, want an error containing %q", err, tc.want)
		}
	}
	for _, d := range []time.Duration{0} { // zero is allowed for both
		if _, err := seedengine.New(db, config.Development, s, deps{db}, seedengine.WithProgressInterval(d), seedengine.WithLockTimeout(d)); err != nil {
			t.Errorf("New with zero durations: %v", err)
		}
	}

	core, logs := observer.New(zapcore.InfoLevel)
	if _, err := newRunner(t, db, config.Development, s, seedengine.WithLogger(zap.New(core))).Run(context.Background(), seedengine.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if logs.FilterMessage("seed applied").Len() != 1 {
		t.Errorf("the logger given got %v, want one \"seed applied\"", logs.All())
	}

	// The binary lost 0001_first_one: nothing pending, one warning.
	var out bytes.Buffer
	rep, err := newRunner(t, db, config.Development, set(config.Development, "", nil, nil), seedengine.WithProgress(&out)).Run(context.Background(), seedengine.RunOptions{})
	if err != nil || len(rep.Warnings) != 1 {
		t.Fatalf("run with a missing seed: %+v, %v", rep, err)
	}
	if !strings.Contains(out.String(), "warning: ") {
		t.Errorf("the warning was not printed when nothing was pending:\n%s", out.String())
	}
}
