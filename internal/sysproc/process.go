package sysproc

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is a started command waited for in the background.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}

	mu  sync.Mutex
	err error
}

// Start starts cmd and waits for it in a goroutine.
func Start(cmd *exec.Cmd) (*Process, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// PID is the process ID.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is what waiting for the process returned (nil while it runs).
func (p *Process) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Stop sends sig and waits for the process to exit. When ctx ends first it
// sends urgent, waits up to grace, then kills the process and waits for it,
// and returns ctx's error so the caller can say the shutdown was forced.
func (p *Process) Stop(ctx context.Context, sig, urgent syscall.Signal, grace time.Duration) error {
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
	}
	_ = p.cmd.Process.Signal(urgent)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return ctx.Err()
}

// WaitReady calls try every interval until try reports done, the process
// exits or ctx ends. try returns done=true with a nil error when the
// process is ready, or with an error that makes waiting pointless (it is
// returned as is); done=false with the error of this attempt, which a
// timeout reports as the last one. what names the process in errors.
func (p *Process) WaitReady(ctx context.Context, what string, interval time.Duration, try func(context.Context) (done bool, err error)) error {
	var last error
	for {
		done, err := try(ctx)
		if done {
			return err
		}
		last = err
		select {
		case <-p.done:
			return fmt.Errorf("%s exited during startup (%v)", what, p.Err())
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w (last error: %v)", what, ctx.Err(), last)
		case <-time.After(interval):
		}
	}
}

// OpenLog opens path for appending as a child's log, owned by o; an existing
// log is first renamed to path.1 to keep the previous run for post-mortems.
// The caller closes the file once the child has been started (the child
// holds its own descriptor).
func (o *Owner) OpenLog(path string) (*os.File, error) {
	if _, err := os.Stat(path); err == nil {
		_ = os.Rename(path, path+".1")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	if err := o.Chown(path); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Tail returns the last n lines of a file, for error messages. It reads at
// most the file's last MiB: a long-running child's log can be large, and the
// lines that explain a failure are at its end.
func Tail(path string, n int) string {
	const window = 1 << 20
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > window {
		_, _ = f.Seek(st.Size()-window, io.SeekStart)
	}
	b, _ := io.ReadAll(io.LimitReader(f, window))
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// FreePort returns a TCP port on host that was free a moment ago. Another
// process may take it before the caller's child binds it: callers retry.
func FreePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// PortFree reports whether port on host can be listened on now (the error
// says why not).
func PortFree(host string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	return l.Close()
}
