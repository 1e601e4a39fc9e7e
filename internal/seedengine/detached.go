package seedengine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/central/central/internal/config"
)

// RunDetached runs the pending seeds bounded by timeout alone: the parent's
// cancellation and deadline (fx's start timeout) do not cut a long seed off.
// timeout <= 0 means config.DefaultSeedTimeout.
func (r *Runner[D]) RunDetached(ctx context.Context, timeout time.Duration) (Report, error) {
	if timeout <= 0 {
		timeout = config.DefaultSeedTimeout
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	rep, err := r.Run(ctx, RunOptions{})
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("seed: run stopped by SEED_TIMEOUT (%s): %w", timeout, err)
	}
	return rep, err
}

// LogWriter turns progress lines into log entries: "warning: ..." lines at
// warn level, the others at info level.
type LogWriter struct {
	Log *zap.Logger

	mu  sync.Mutex
	buf []byte
}

// Write logs each complete line; a partial line waits for its newline.
func (w *LogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if line, ok := bytes.CutPrefix(w.buf[:i], []byte("warning: ")); ok {
			w.Log.Warn(string(line))
		} else {
			w.Log.Info(string(w.buf[:i]))
		}
		w.buf = w.buf[i+1:]
	}
}

var _ io.Writer = (*LogWriter)(nil)
