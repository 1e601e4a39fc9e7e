package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/central/central/internal/httpapi"
)

// TestServerStopDrains stops a server while a request is blocked in the
// database. During SHUTDOWN_DELAY /readyz answers 503 and new requests are
// served; after it the listener is closed, and the blocked request still
// gets its answer once the database lets it go. Deliberate bugs: Close
// instead of Shutdown in Server.Stop (the accepted request is cut: "EOF"),
// no delay (the 503 is never visible: connection refused).
func TestServerStopDrains(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.createTenant(t, "acme")
	const delay = 700 * time.Millisecond
	srv := httpapi.NewServer(f.api, zap.NewNop(), "127.0.0.1:0", httpapi.WithShutdown(delay, 20*time.Second))
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	base := "http://" + srv.Addr()
	fresh := func() *http.Client {
		return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 20 * time.Second}
	}
	get := func(path string) (int, error) {
		res, err := fresh().Get(base + path)
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, res.Body)
		return res.StatusCode, nil
	}
	if code, err := get("/readyz"); err != nil || code != 200 {
		t.Fatalf("readyz before stop: %d %v", code, err)
	}

	// A request the server has accepted, blocked on a table lock.
	db := f.tdb.OpenDB(t)
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	blocked := make(chan error, 1)
	go func() {
		code, err := get("/v1/tenants")
		if err == nil && code != 200 {
			err = &statusError{code}
		}
		blocked <- err
	}()
	waitFor(t, func() bool { // the request is inside the database
		var n int
		_ = db.QueryRow(`SELECT count(*) FROM pg_locks WHERE NOT granted`).Scan(&n)
		return n > 0
	})

	stopped := make(chan error, 1)
	stopAt := time.Now()
	go func() { stopped <- srv.Stop(context.Background()) }()

	// During the delay: not ready, but serving.
	time.Sleep(delay / 5)
	if code, err := get("/readyz"); err != nil || code != http.StatusServiceUnavailable {
		t.Errorf("readyz during the shutdown delay: %d %v, want 503 from a listener that still serves", code, err)
	}
	if code, err := get("/livez"); err != nil || code != 200 {
		t.Errorf("livez during the shutdown delay: %d %v, want 200", code, err)
	}
	// After the delay: no new connections.
	time.Sleep(time.Until(stopAt.Add(delay + 300*time.Millisecond)))
	if _, err := get("/livez"); err == nil {
		t.Error("a new connection was served after the shutdown delay")
	}
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a request was in flight", err)
	default:
	}
	// Let the accepted request finish: it must get its answer.
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-blocked; err != nil {
		t.Errorf("the request accepted before the shutdown was dropped: %v", err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Stop: %v", err)
	}
}

type statusError struct{ code int }

func (e *statusError) Error() string { return http.StatusText(e.code) }

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
