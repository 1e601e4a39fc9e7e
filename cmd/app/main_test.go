package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/pgserver"
)

// These tests run the real program as a subprocess: the test binary re-runs
// itself with childEnv set, and TestMain then calls main() instead of the
// tests. The child is exactly the `app` binary (same main, same packages)
// with the test code linked in but unused. Building a separate binary with
// `go build` would cost a full link per test run and leave a 45 MB file
// behind, since dbtest.Main exits without giving TestMain a chance to
// clean up.
const childEnv = "CENTRAL_APPTEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main() // exits
		return
	}
	dbtest.Main(m)
}

// Timeouts that bound every wait in these tests. They are generous because
// the machine may be loaded; the tests assert no durations.
const (
	bootTimeout = 90 * time.Second // initdb + start + migrations + seeds
	stopTimeout = 60 * time.Second
	cliTimeout  = 2 * time.Minute
)

// self is the test binary, run as the app.
func self(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("find the test binary: %v", err)
	}
	return exe
}

// childEnviron is the environment of an app child: only what any process
// needs from ours (never POSTGRES_*, APP_ENV, ... of the developer's shell),
// plus vars.
func childEnviron(vars map[string]string) []string {
	env := []string{childEnv + "=1"}
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "PG_BIN", "LANG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// newDataDir returns a DATA_DIR for an app with the embedded PostgreSQL. It
// is not t.TempDir, which is mode 0700: when the tests run as root, postgres
// runs as the postgres user and must traverse every directory above its own.
func newDataDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "central-apptest-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("remove %s: %v", dir, err)
		}
	})
	return dir
}

// cliResult is what one CLI run produced.
type cliResult struct {
	code           int
	stdout, stderr string
}

// runCLI runs the app with args to completion.
func runCLI(t testing.TB, vars map[string]string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, self(t), args...)
	cmd.Env = childEnviron(vars)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.Exited():
	default:
		t.Fatalf("app %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, &stdout, &stderr)
	}
	return cliResult{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// syncBuffer is a bytes.Buffer safe for a writing child and reading tests.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// appProc is a running `app serve`.
type appProc struct {
	t       testing.TB
	cmd     *exec.Cmd
	stdout  *syncBuffer
	stderr  *syncBuffer
	done    chan struct{}
	base    string // http://host:port
	client  *http.Client
	dataDir string // DATA_DIR, when the embedded server is used
}

var bannerAPI = regexp.MustCompile(`(?m)^\s*API\s+(http://\S+)/v1/tenants$`)

// startApp starts the app with args (none: the default command) and waits
// until its banner names the HTTP address and /readyz answers 200. HTTP_ADDR
// defaults to 127.0.0.1:0, so the address comes from the banner. The app is
// stopped (SIGTERM, then SIGKILL) when t ends if the test has not.
func startApp(t testing.TB, vars map[string]string, args ...string) *appProc {
	t.Helper()
	env := map[string]string{"HTTP_ADDR": "127.0.0.1:0"}
	for k, v := range vars {
		env[k] = v
	}
	cmd := exec.Command(self(t), args...)
	cmd.Env = childEnviron(env)
	// Should this test binary die, the app gets SIGTERM and shuts down
	// (stopping its postgres) instead of running on.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	a := &appProc{
		t: t, cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{}),
		dataDir: env["DATA_DIR"],
		client: &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64},
		},
	}
	cmd.Stdout, cmd.Stderr = a.stdout, a.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start app: %v", err)
	}
	go func() {
		_ = cmd.Wait()
		close(a.done)
	}()
	t.Cleanup(func() {
		if !a.exited() {
			a.signal(syscall.SIGTERM)
			select {
			case <-a.done:
			case <-time.After(stopTimeout):
				_ = cmd.Process.Kill()
				<-a.done
			}
		}
		a.client.CloseIdleConnections()
		if t.Failed() {
			t.Logf("app (pid %d) stdout:\n%s\napp stderr (tail):\n%s", cmd.Process.Pid, a.stdout, tail(a.stderr.String(), 60))
		}
	})
	a.waitReady()
	return a
}

// waitReady waits for the banner, then for /readyz 200.
func (a *appProc) waitReady() {
	a.t.Helper()
	deadline := time.Now().Add(bootTimeout)
	for a.base == "" {
		if m := bannerAPI.FindStringSubmatch(a.stdout.String()); m != nil {
			a.base = m[1]
			break
		}
		a.checkAlive(deadline, "print its banner")
	}
	for {
		resp, err := a.client.Get(a.base + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		a.checkAlive(deadline, "answer /readyz with 200")
	}
}

func (a *appProc) checkAlive(deadline time.Time, what string) {
	a.t.Helper()
	if a.exited() {
		a.t.Fatalf("app exited with code %d before it would %s\nstdout:\n%s\nstderr:\n%s",
			a.cmd.ProcessState.ExitCode(), what, a.stdout, tail(a.stderr.String(), 60))
	}
	if time.Now().After(deadline) {
		a.t.Fatalf("app did not %s within %s\nstdout:\n%s\nstderr:\n%s", what, bootTimeout, a.stdout, tail(a.stderr.String(), 60))
	}
	time.Sleep(20 * time.Millisecond)
}

func (a *appProc) exited() bool {
	select {
	case <-a.done:
		return true
	default:
		return false
	}
}

func (a *appProc) signal(sig syscall.Signal) {
	a.t.Helper()
	if err := a.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		a.t.Fatalf("send %v to the app: %v", sig, err)
	}
}

// stop sends sig and returns the exit code (-1 when a signal killed it).
func (a *appProc) stop(sig syscall.Signal) int {
	a.t.Helper()
	a.signal(sig)
	return a.wait()
}

// wait waits for the app to exit and returns its exit code.
func (a *appProc) wait() int {
	a.t.Helper()
	select {
	case <-a.done:
	case <-time.After(stopTimeout):
		a.t.Fatalf("app did not exit within %s\nstderr:\n%s", stopTimeout, tail(a.stderr.String(), 60))
	}
	a.client.CloseIdleConnections()
	return a.cmd.ProcessState.ExitCode()
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = append([]string{fmt.Sprintf("[... %d lines]", len(parts)-lines)}, parts[len(parts)-lines:]...)
	}
	return strings.Join(parts, "\n")
}

// response is one HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// request sends a request to the app; body (when not nil) is sent as JSON.
func (a *appProc) request(ctx context.Context, method, path string, body any, header http.Header) (response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return response{}, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, fmt.Errorf("read the response to %s %s: %w", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// must sends a request that must answer want, and decodes the body into out
// (when not nil).
func (a *appProc) must(t testing.TB, method, path string, body any, header http.Header, want int, out any) response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := a.request(ctx, method, path, body, header)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if r.status != want {
		t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, r.status, want, r.body)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, r.body, err)
		}
	}
	return r
}

// The API's JSON, as a client sees it.
type (
	tenantView struct {
		ID          string `json:"id"`
		Slug        string `json:"slug"`
		DisplayName string `json:"display_name"`
		Status      string `json:"status"`
	}
	tagView struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	}
	userView struct {
		ID       string    `json:"id"`
		TenantID string    `json:"tenant_id"`
		Email    string    `json:"email"`
		Status   string    `json:"status"`
		Tags     []tagView `json:"tags"`
	}
	pageView[T any] struct {
		Items []T    `json:"items"`
		Next  string `json:"next"`
	}
	problemView struct {
		Type      string `json:"type"`
		Title     string `json:"title"`
		Status    int    `json:"status"`
		Detail    string `json:"detail"`
		Instance  string `json:"instance"`
		RequestID string `json:"request_id"`
	}
)

func (u userView) tagMap() map[string]string {
	m := make(map[string]string, len(u.Tags))
	for _, t := range u.Tags {
		m[t.Key] = t.Value
	}
	return m
}

// createTenant creates a tenant through the API.
func (a *appProc) createTenant(t testing.TB, slug string) tenantView {
	t.Helper()
	var tv tenantView
	a.must(t, http.MethodPost, "/v1/tenants", map[string]string{"slug": slug, "display_name": "Tenant " + slug}, nil, http.StatusCreated, &tv)
	return tv
}

// allTenants pages through GET /v1/tenants.
func (a *appProc) allTenants(t testing.TB) []tenantView {
	t.Helper()
	var all []tenantView
	path := "/v1/tenants?limit=2"
	for range 1000 {
		var p pageView[tenantView]
		a.must(t, http.MethodGet, path, nil, nil, http.StatusOK, &p)
		all = append(all, p.Items...)
		if p.Next == "" {
			return all
		}
		path = "/v1/tenants?limit=2&after=" + p.Next
	}
	t.Fatal("GET /v1/tenants: more than 1000 pages")
	return nil
}

// processesUnder lists the processes whose command line mentions dir or
// whose working directory is inside it: a postmaster names its data
// directory in its arguments, and every postgres process works in it.
func processesUnder(dir string) map[int]string {
	out := map[int]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		raw, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		cmdline := strings.TrimSpace(strings.ReplaceAll(string(raw), "\x00", " "))
		cwd, _ := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if strings.Contains(cmdline+"/", dir+"/") || cwd == dir || strings.HasPrefix(cwd, dir+"/") {
			out[pid] = cmdline
		}
	}
	return out
}

// requireNoProcesses fails unless no process works under dir within wait;
// it returns how long they took to go.
func requireNoProcesses(t testing.TB, dir string, wait time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(wait)
	for {
		procs := processesUnder(dir)
		if len(procs) == 0 {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes still run under %s: %v", dir, procs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openEmbedded starts the embedded cluster of an app's DATA_DIR in this
// process (the app must have stopped) and returns a superuser URL of the
// app's database (it bypasses row-level security: the checks read every
// tenant's rows); the cluster stops when t ends.
func openEmbedded(t testing.TB, dataDir string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bootTimeout)
	defer cancel()
	srv, err := pgserver.Start(ctx, pgserver.Config{DataDir: filepath.Join(dataDir, "postgres"), Logger: zap.NewNop()})
	if err != nil {
		t.Fatalf("start the app's PostgreSQL in %s: %v", dataDir, err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(context.Background()); err != nil {
			t.Errorf("stop the app's PostgreSQL: %v", err)
		}
	})
	return srv.URL(pgserver.RoleSuperuser, pgserver.Database)
}
