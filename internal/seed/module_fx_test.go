package seed_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/central/central/internal/boot"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/seed"
)

// TestModuleBootHook starts seed.Module in an fx app on the real database
// module and services: the boot hook runs the pending seeds (and fails
// Start when one fails), SKIP_SEEDS skips them and says so, and progress
// goes to a supplied ProgressWriter, else to the logger named "seed".
//
// Mutants it catches (fx wiring the package's other tests never start):
// registerHook returning at once or its Skip test negated (seeds never
// run, or run under SKIP_SEEDS), the skip message dropped, the hook not
// appended, the hook's error swallowed (Start succeeds although a seed
// failed), provideRunner's ProgressWriter test negated or its option
// dropped (progress lines to the wrong place), the boot span's End
// dropped (with a TracerProvider supplied, the span "seed" never ends).
func TestModuleBootHook(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name       string
		skip       bool
		fail       bool
		progress   bool
		traced     bool
		wantLedger int
		wantLog    string // in the "seed" logger's entries
		wantOut    string // on the ProgressWriter
		wantErr    error
	}{
		{name: "runs at boot, progress to the logger", wantLedger: 1, wantLog: "seed 0001_fx: start"},
		{name: "traced", traced: true, wantLedger: 1, wantLog: "seed 0001_fx: start"},
		{name: "progress to the ProgressWriter", progress: true, wantLedger: 1, wantOut: "seed 0001_fx: start"},
		{name: "SKIP_SEEDS", skip: true, wantLedger: 0, wantLog: "seeds skipped at boot (SKIP_SEEDS)"},
		{name: "a failing seed fails Start", fail: true, wantLedger: 0, wantErr: boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newAppEnv(t, newTestDB(t))
			core, logs := observer.New(zapcore.InfoLevel)
			fn := createTenant("fx-boot")
			if tt.fail {
				fn = func(context.Context, seed.Deps) error { return boom }
			}
			set := seed.AppSet{Env: config.Development, Sources: sources([]string{"0001_fx"}), Funcs: map[string]seed.Func{"0001_fx": fn}}
			var out bytes.Buffer
			opts := []fx.Option{
				fx.NopLogger,
				fx.Supply(config.Config{Env: config.Development, Seed: config.Seed{Skip: tt.skip, Timeout: time.Minute}},
					e.db, e.svc, zap.New(core), boot.Migrated{}),
				fx.Provide(fx.Annotate(func() seed.AppSet { return set }, fx.ResultTags(`group:"seed_sets"`))),
				seed.Module,
			}
			if tt.progress {
				opts = append(opts, fx.Supply(&seed.ProgressWriter{Writer: &out}))
			}
			rec := tracetest.NewSpanRecorder()
			if tt.traced {
				tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
				opts = append(opts, fx.Supply(fx.Annotate(tp, fx.As(new(trace.TracerProvider)))))
			}
			app := fx.New(opts...)
			if err := app.Err(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := app.Start(ctx)
			defer app.Stop(ctx) //nolint:errcheck // the pools close with the test
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Start = %v, want the seed's error", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if n := count(t, e.raw, `SELECT count(*) FROM seeds`); n != tt.wantLedger {
				t.Errorf("%d ledger rows after boot, want %d", n, tt.wantLedger)
			}
			if tt.wantLog != "" && logs.FilterLoggerName("seed").FilterMessage(tt.wantLog).Len() != 1 {
				t.Errorf("the seed logger lacks %q: %v", tt.wantLog, logs.All())
			}
			if tt.wantOut != "" && !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("ProgressWriter got %q, want %q", out.String(), tt.wantOut)
			}
			if tt.traced {
				var names []string
				for _, sp := range rec.Ended() {
					names = append(names, sp.Name())
				}
				if !slices.Contains(names, "seed") {
					t.Errorf("ended spans %v, want the boot step's \"seed\"", names)
				}
			}
			if tt.progress && logs.FilterMessageSnippet("0001_fx").Len() != 0 {
				t.Errorf("progress also went to the logger: %v", logs.All())
			}
		})
	}
}
