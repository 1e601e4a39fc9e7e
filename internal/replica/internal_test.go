package replica

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib"
	"go.uber.org/zap"
)

func TestWALHistoryLag(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	const keep = time.Hour
	type sample struct {
		lsn Token
		at  float64
	}
	tests := []struct {
		name      string
		samples   []sample
		replay    Token
		now       float64
		wantBytes uint64
		wantLag   time.Duration
	}{
		{name: "no primary position known", replay: 10, now: 5},
		{name: "caught up", samples: []sample{{100, 0}}, replay: 100, now: 60},
		{name: "ahead of last sample", samples: []sample{{100, 0}}, replay: 120, now: 1},
		{
			// The primary sat at 100 for a minute; the replica lacks 100 since t=0.
			name: "idle primary, replica behind", samples: []sample{{100, 0}, {100, 30}}, replay: 90, now: 60,
			wantBytes: 10, wantLag: 60 * time.Second,
		},
		{
			// Idle for a long time, then a write just now: lag is measured from
			// the write, not from the last replayed commit.
			name: "write after long idle", samples: []sample{{100, 0}, {200, 3600}}, replay: 100, now: 3600.5,
			wantBytes: 100, wantLag: 500 * time.Millisecond,
		},
		{
			name: "first position beyond replay counts", samples: []sample{{100, 0}, {200, 1}, {300, 2}, {400, 3}}, replay: 250, now: 4,
			wantBytes: 150, wantLag: 2 * time.Second,
		},
		{
			name: "replay before every sample", samples: []sample{{100, 10}, {200, 20}}, replay: 5, now: 25,
			wantBytes: 195, wantLag: 15 * time.Second,
		},
		{
			name: "primary went back (failover) resets", samples: []sample{{500, 0}, {100, 10}}, replay: 50, now: 12,
			wantBytes: 50, wantLag: 2 * time.Second,
		},
		{name: "clock went back", samples: []sample{{100, 10}}, replay: 50, now: 5, wantBytes: 50, wantLag: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h walHistory
			for _, s := range tt.samples {
				h.add(s.lsn, at(s.at), keep)
			}
			bytes, lag := h.lag(tt.replay, at(tt.now))
			if bytes != tt.wantBytes || lag != tt.wantLag {
				t.Fatalf("lag(%v) = %d bytes, %v; want %d bytes, %v", tt.replay, bytes, lag, tt.wantBytes, tt.wantLag)
			}
		})
	}
}

func TestWALHistoryPrunesButKeepsFloor(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	keep := 10 * time.Second
	var h walHistory
	for i := range 100 {
		h.add(Token(100+i), t0.Add(time.Duration(i)*time.Second), keep)
	}
	if n := len(h.samples); n > 12 {
		t.Fatalf("kept %d samples, want at most 12 for a 10s window at 1 sample/s", n)
	}
	// A replica older than every kept sample still gets a lag of at least the window.
	now := t0.Add(99 * time.Second)
	if _, lag := h.lag(50, now); lag < keep {
		t.Fatalf("lag of a replica older than the history = %v, want >= %v", lag, keep)
	}
	// A long idle period keeps the single sample however old it gets.
	var idle walHistory
	idle.add(7, t0, keep)
	idle.add(7, t0.Add(time.Hour), keep)
	if _, lag := idle.lag(6, t0.Add(time.Hour)); lag != time.Hour {
		t.Fatalf("lag behind an idle primary = %v, want 1h", lag)
	}
	// Many samples inside the window are capped.
	var busy walHistory
	for i := range maxWALSamples + 10 {
		busy.add(Token(i+1), t0.Add(time.Duration(i)*time.Microsecond), keep)
	}
	if n := len(busy.samples); n > maxWALSamples {
		t.Fatalf("kept %d samples, want at most %d", n, maxWALSamples)
	}
}

func TestClassify(t *testing.T) {
	pg := func(code string) error { return fmt.Errorf("query: %w", &pgconn.PgError{Code: code}) }
	tests := []struct {
		name string
		err  error
		want failure
	}{
		{"nil", nil, failOther},
		{"syntax error", pg("42601"), failOther},
		{"read only transaction", pg("25006"), failOther},
		{"undefined table", pg("42P01"), failOther},
		{"admin shutdown", pg("57P01"), failConn},
		{"crash shutdown", pg("57P02"), failConn},
		{"cannot connect now", pg("57P03"), failConn},
		{"connection failure", pg("08006"), failConn},
		{"recovery conflict", pg("40001"), failConflict},
		{"recovery conflict deadlock", pg("40P01"), failConflict},
		{"bad conn", fmt.Errorf("x: %w", driver.ErrBadConn), failConn},
		{"conn closed", fmt.Errorf("x: %w", pgconn.ErrConnClosed), failConn},
		{"eof", io.ErrUnexpectedEOF, failConn},
		{"refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, failConn},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), failConn},
		{"canceled", context.Canceled, failOther},
		{"plain", errors.New("sql: no rows in result set"), failOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.want {
				t.Fatalf("classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestSessionRequirement(t *testing.T) {
	ctx := NewSession(context.Background())
	s, ok := FromContext(ctx)
	if !ok {
		t.Fatal("NewSession: no session in context")
	}
	check := func(step string, wantNeed Token, wantDirty bool) {
		t.Helper()
		if need, dirty := s.requirement(); need != wantNeed || dirty != wantDirty {
			t.Fatalf("%s: requirement() = %v, %v; want %v, %v", step, need, dirty, wantNeed, wantDirty)
		}
	}
	check("new", 0, false)
	if got := WithToken(ctx, 50); got != ctx {
		t.Fatal("WithToken on a context with a session returned a new context")
	}
	check("imported", 50, false)
	WithToken(ctx, 20)
	check("lower import ignored", 50, false)
	if !MarkWrite(ctx) {
		t.Fatal("MarkWrite with a session reported false")
	}
	check("after write", 50, true)
	// Resolve with a fake row function (real resolution is tested against PostgreSQL).
	tok, err := s.resolve(ctx, func(_ context.Context, _ string, dest ...any) error {
		*dest[0].(*sql.NullString) = sql.NullString{String: "0/64", Valid: true}
		return nil
	})
	if err != nil || tok != 100 {
		t.Fatalf("resolve = %v, %v; want 0/64", tok, err)
	}
	check("resolved", 100, false)
	tok, err = s.resolve(ctx, func(context.Context, string, ...any) error {
		t.Fatal("resolve queried although no write was marked since")
		return nil
	})
	if err != nil || tok != 100 {
		t.Fatalf("second resolve = %v, %v", tok, err)
	}
	MarkWrite(ctx)
	_, err = s.resolve(ctx, func(context.Context, string, ...any) error { return errors.New("boom") })
	if err == nil {
		t.Fatal("resolve error not returned")
	}
	check("failed resolution stays dirty", 100, true)

	if MarkWrite(context.Background()) {
		t.Fatal("MarkWrite without a session reported true")
	}
	if c := WithToken(context.Background(), 0); c != context.Background() {
		t.Fatal("WithToken(0) without a session attached a session")
	}
	c := WithToken(context.Background(), 7)
	if s, ok := FromContext(c); !ok {
		t.Fatal("WithToken without a session attached none")
	} else if need, dirty := s.requirement(); need != 7 || dirty {
		t.Fatalf("imported-only session requirement = %v, %v", need, dirty)
	}
}

func TestNewRouterRejectsBadInput(t *testing.T) {
	db, err := sql.Open("pgx", "postgres://nobody@127.0.0.1:1/never") // never connected
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	drv := entsql.OpenDB(dialect.Postgres, db)
	log := zap.NewNop()
	tests := []struct {
		name     string
		primary  dialect.Driver
		replicas []Target
		logger   *zap.Logger
		opts     []Option
		want     string
	}{
		{name: "nil primary", replicas: nil, logger: log, want: "primary driver is nil"},
		{name: "nil logger", primary: drv, want: "logger is nil"},
		{name: "unnamed replica", primary: drv, logger: log, replicas: []Target{{Driver: drv, DB: db}}, want: "replica 0 has no name"},
		{name: "duplicate name", primary: drv, logger: log, replicas: []Target{{Name: "a", Driver: drv, DB: db}, {Name: "a", Driver: drv, DB: db}}, want: `"a" is used twice`},
		{name: "nil replica driver", primary: drv, logger: log, replicas: []Target{{Name: "a", DB: db}}, want: `"a" has a nil Driver`},
		{name: "nil replica DB", primary: drv, logger: log, replicas: []Target{{Name: "a", Driver: drv}}, want: `"a" has a nil DB`},
		{name: "nil option", primary: drv, logger: log, opts: []Option{nil}, want: "option is nil"},
		{name: "zero interval", primary: drv, logger: log, opts: []Option{WithPollInterval(0)}, want: "poll interval 0s: must be positive"},
		{name: "negative timeout", primary: drv, logger: log, opts: []Option{WithPollTimeout(-time.Second)}, want: "poll timeout -1s: must be positive"},
		{name: "zero max lag", primary: drv, logger: log, opts: []Option{WithMaxLag(0)}, want: "max lag 0s: must be positive"},
		{name: "negative max wait", primary: drv, logger: log, opts: []Option{WithMaxWait(-1)}, want: "max wait -1ns: must not be negative"},
		{name: "nil primary querier", primary: drv, logger: log, opts: []Option{WithPrimaryQuerier(nil)}, want: "primary querier is nil"},
		{name: "nil clock", primary: drv, logger: log, opts: []Option{WithClock(nil)}, want: "clock is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRouter(tt.primary, tt.replicas, tt.logger, tt.opts...)
			if err == nil {
				t.Fatalf("NewRouter succeeded (%v), want error containing %q", r, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "replica: ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q, want prefix \"replica: \" and %q", err, tt.want)
			}
		})
	}
	r, err := NewRouter(drv, []Target{{Name: "a", Driver: drv, DB: db}}, log,
		WithPollInterval(time.Second), WithPollTimeout(time.Second), WithMaxLag(time.Second), WithMaxWait(0),
		WithPrimaryQuerier(db), WithClock(time.Now), WithoutPrimaryRetry())
	if err != nil {
		t.Fatalf("valid NewRouter: %v", err)
	}
	st := r.Status()
	if len(st) != 1 || st[0].Name != "a" || st[0].Healthy || !errors.Is(st[0].LastErr, ErrNotPolled) {
		t.Fatalf("Status before Start = %+v, want one unhealthy, not polled replica", st)
	}
	if r.pick(context.Background()) != nil {
		t.Fatal("a replica was picked before the first poll")
	}
	if err := r.Stop(context.Background()); err != nil {
		t.Fatalf("Stop without Start: %v", err)
	}
}
