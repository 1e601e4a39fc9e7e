package seedengine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/seedengine"
)

// TestRunDetachedEdges: timeout <= 0 means config.DefaultSeedTimeout, and
// only a run stopped by that timeout is reported as SEED_TIMEOUT. Mutants:
// `timeout <= 0` made `< 0` or the default dropped (a zero timeout then
// expires at once), `err != nil && ctx.Err() != nil` made `||` (any seed
// failure blamed on SEED_TIMEOUT), the SEED_TIMEOUT wrapping dropped.
func TestRunDetachedEdges(t *testing.T) {
	db := newTxDB(t, newTestDB(t))
	t.Run("zero timeout is the default", func(t *testing.T) {
		var left time.Duration
		var ok bool
		s := set(config.Development, "", []string{"0001_deadline"}, map[string]seedengine.Func[deps]{
			"0001_deadline": func(ctx context.Context, d deps) error {
				var dl time.Time
				dl, ok = ctx.Deadline()
				left = time.Until(dl)
				return nil
			},
		})
		if _, err := newRunner(t, db, config.Development, s).RunDetached(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
		if !ok || left <= config.DefaultSeedTimeout-time.Minute || left > config.DefaultSeedTimeout {
			t.Errorf("the seed's deadline is %s away (set: %v), want about DefaultSeedTimeout (%s)", left, ok, config.DefaultSeedTimeout)
		}
	})
	t.Run("bounded by its own timeout, not the parent's", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		s := set(config.Development, "", []string{"0003_outlives", "0004_forever"}, map[string]seedengine.Func[deps]{
			"0003_outlives": func(ctx context.Context, d deps) error {
				cancel() // fx's start context ends while the seed runs
				return ctx.Err()
			},
			"0004_forever": func(ctx context.Context, d deps) error {
				<-ctx.Done()
				return ctx.Err()
			},
		})
		rep, err := newRunner(t, db, config.Development, s).RunDetached(parent, 200*time.Millisecond)
		if len(rep.Applied) != 1 || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "SEED_TIMEOUT (200ms)") {
			t.Fatalf("RunDetached = %+v, %v; want 0003 applied despite the parent's end, then the SEED_TIMEOUT deadline", rep, err)
		}
	})
	t.Run("a failing seed is not a timeout", func(t *testing.T) {
		boom := errors.New("boom")
		s := set(config.Development, "", []string{"0005_fails"}, map[string]seedengine.Func[deps]{
			"0005_fails": func(context.Context, deps) error { return boom },
		})
		_, err := newRunner(t, db, config.Development, s).RunDetached(context.Background(), time.Minute)
		if !errors.Is(err, boom) || strings.Contains(err.Error(), "SEED_TIMEOUT") {
			t.Fatalf("RunDetached = %v; want the seed's error, not blamed on SEED_TIMEOUT", err)
		}
	})
}

// TestLogWriterEmptyLine: a newline at the start of the buffer is a line
// (empty) like any other, and the lines after it are logged. Mutant:
// `i < 0` made `i <= 0` (everything after a leading newline stuck).
func TestLogWriterEmptyLine(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	w := &seedengine.LogWriter{Log: zap.New(core)}
	if _, err := w.Write([]byte("\nseed 0001_a: start\n")); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range logs.All() {
		got = append(got, e.Message)
	}
	if len(got) != 2 || got[0] != "" || got[1] != "seed 0001_a: start" {
		t.Errorf("logged %q, want an empty line then the start line", got)
	}
}
