package logging

import (
	"fmt"
	"io"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/central/central/internal/config"
)

// New returns the logger for env at level, writing to standard error.
func New(env config.Env, level zapcore.Level) (*zap.Logger, error) {
	var cfg zap.Config
	if env == config.Production {
		cfg = zap.NewProductionConfig()
	} else {
		cfg = zap.NewDevelopmentConfig()
		cfg.DisableStacktrace = true
		cfg.EncoderConfig.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
	}
	cfg.Level = zap.NewAtomicLevelAt(level)
	logger, err := cfg.Build()
	if err != nil {
		return nil, fmt.Errorf("build %s logger: %w", env, err)
	}
	return logger, nil
}

// NewWriter is like New but writes to w; tests and the CLI use it.
func NewWriter(env config.Env, level zapcore.Level, w io.Writer) *zap.Logger {
	var enc zapcore.Encoder
	if env == config.Production {
		enc = zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	} else {
		ec := zap.NewDevelopmentEncoderConfig()
		ec.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
		enc = zapcore.NewConsoleEncoder(ec)
	}
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(w), level))
}
