package logging_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/logging"
)

func TestNewWriterFormats(t *testing.T) {
	tests := []struct {
		env   config.Env
		check func(t *testing.T, line string)
	}{
		{config.Production, func(t *testing.T, line string) {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("production log is not JSON: %q: %v", line, err)
			}
			if m["msg"] != "ready" || m["port"] != float64(5432) {
				t.Errorf("unexpected fields: %v", m)
			}
		}},
		{config.Development, func(t *testing.T, line string) {
			if strings.HasPrefix(line, "{") || !strings.Contains(line, "ready") || !strings.Contains(line, `"port": 5432`) {
				t.Errorf("development log is not console-formatted: %q", line)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.env), func(t *testing.T) {
			var buf bytes.Buffer
			logger := logging.NewWriter(tt.env, zapcore.InfoLevel, &buf)
			logger.Debug("hidden")
			logger.Info("ready", zap.Int("port", 5432))
			out := strings.TrimSpace(buf.String())
			if strings.Contains(out, "hidden") {
				t.Errorf("debug line written at info level: %q", out)
			}
			tt.check(t, out)
		})
	}
}

func TestNewBuildsEveryEnvironment(t *testing.T) {
	for _, env := range []config.Env{config.Development, config.Test, config.Production} {
		if _, err := logging.New(env, zapcore.DebugLevel); err != nil {
			t.Errorf("New(%s): %v", env, err)
		}
	}
}
