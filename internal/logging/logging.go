package logging

import (
	"io"
	"os"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/central/central/internal/config"
)

// New returns the logger for env at level, writing to standard error.
func New(env config.Env, level zapcore.Level) (*zap.Logger, error) {
	return NewTo(env, level, os.Stderr)
}

// NewTo is New writing to w instead of standard error. The CLI passes
// standard error through a config.Redactor, so that no secret of the
// environment reaches the log whatever code quoted it.
func NewTo(env config.Env, level zapcore.Level, w io.Writer) (*zap.Logger, error) {
	var cfg zap.Config
	if env == config.Production {
		cfg = zap.NewProductionConfig()
	} else {
		cfg = zap.NewDevelopmentConfig()
		cfg.DisableStacktrace = true
		cfg.EncoderConfig.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
	}
	var enc zapcore.Encoder
	if cfg.Encoding == "json" {
		enc = zapcore.NewJSONEncoder(cfg.EncoderConfig)
	} else {
		enc = zapcore.NewConsoleEncoder(cfg.EncoderConfig)
	}
	sink := zapcore.Lock(zapcore.AddSync(w))
	core := zapcore.NewCore(enc, sink, zap.NewAtomicLevelAt(level))
	if cfg.Sampling != nil {
		core = zapcore.NewSamplerWithOptions(core, time.Second, cfg.Sampling.Initial, cfg.Sampling.Thereafter)
	}
	opts := []zap.Option{zap.AddCaller(), zap.ErrorOutput(sink)}
	if cfg.Development {
		opts = append(opts, zap.Development())
	}
	if !cfg.DisableStacktrace {
		opts = append(opts, zap.AddStacktrace(zapcore.ErrorLevel))
	}
	return zap.New(core, opts...), nil
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
