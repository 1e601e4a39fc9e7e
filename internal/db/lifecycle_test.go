package db_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/central/central/ent"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/reqid"
)

func TestModule(t *testing.T) {
	tdb := dbtest.New(t)
	reg := prometheus.NewRegistry()
	var (
		d    *db.DB
		rw   *ent.Client
		ro   *ent.ReadOnlyClient
		rwp  *db.ReadWritePool
		rop  *db.ReadOnlyPool
		pool *db.Pools
	)
	app := fxtest.New(t,
		fx.Supply(config.Config{Postgres: pgConfig(tdb)}),
		fx.Supply(zaptest.NewLogger(t)),
		fx.Supply(reg),
		fx.Supply(fx.Annotate(db.PendingFunc(func(context.Context) (int, error) { return 0, nil }), fx.As(new(db.PendingChecker)))),
		db.Module,
		fx.Populate(&d, &rw, &ro, &rwp, &rop, &pool),
	)
	app.RequireStart()
	ctx := ctxT(t)
	if rw != d.Client() || ro != d.ReadOnlyClient() || rwp != pool.ReadWrite || rop != pool.ReadOnly {
		t.Fatal("module provides different instances than the DB uses")
	}
	if err := d.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	var appName, readOnly string
	if err := rop.QueryRowContext(ctx, "SELECT current_setting('application_name'), current_setting('default_transaction_read_only')").Scan(&appName, &readOnly); err != nil {
		t.Fatal(err)
	}
	if appName != "pg_readonly" || readOnly != "on" {
		t.Errorf("read-only session: application_name=%q default_transaction_read_only=%q", appName, readOnly)
	}
	if err := rwp.QueryRowContext(ctx, "SELECT current_setting('application_name'), current_setting('default_transaction_read_only')").Scan(&appName, &readOnly); err != nil {
		t.Fatal(err)
	}
	if appName != "pg_readwrite" || readOnly != "off" {
		t.Errorf("read-write session: application_name=%q default_transaction_read_only=%q", appName, readOnly)
	}
	if _, err := rw.ExecContext(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				seen[f.GetName()+"{"+l.GetName()+"="+l.GetValue()+"}"] = true
			}
		}
	}
	for _, want := range []string{
		"go_sql_open_connections{db_name=readwrite}", "go_sql_open_connections{db_name=readonly}",
		"central_db_query_duration_seconds{role=primary}", "central_db_query_duration_seconds{role=readonly}",
	} {
		if !seen[want] {
			t.Errorf("metric %s not registered; have %v", want, seen)
		}
	}

	app.RequireStop()
	if err := rwp.PingContext(ctx); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("read-write pool still open after stop: %v", err)
	}
	if err := d.Ready(ctx); !errors.Is(err, db.ErrStopping) {
		t.Errorf("Ready after stop = %v, want ErrStopping", err)
	}
}

func TestModuleStartFailsClearly(t *testing.T) {
	tdb := dbtest.New(t)
	u, err := url.Parse(tdb.URL)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		edit     func(pg *config.Postgres)
		pool     string
		addr     string
		user     string
		wantCode string // SQLSTATE (or its class) when the server answered
	}{
		{
			name: "nobody listening", pool: db.PoolReadOnly, addr: "127.0.0.1:1", user: "central_ro",
			edit: func(pg *config.Postgres) {
				pg.ReadOnly.URL = config.Secret("postgres://central_ro:Sup3r%40Secret@127.0.0.1:1/" + tdb.Name)
			},
		},
		{
			// An unknown role is refused by every server, including the
			// trust-auth one of TEST_DATABASE_URL, which would accept a
			// wrong password: 28P01 under scram, 28000 under trust.
			name: "refused credentials", pool: db.PoolReadWrite, addr: u.Host, user: "nobody_here", wantCode: "28",
			edit: func(pg *config.Postgres) {
				pg.ReadWrite.URL = config.Secret("postgres://nobody_here:Sup3r%40Secret@" + u.Host + "/" + tdb.Name)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pg := pgConfig(tdb)
			tt.edit(&pg)
			app := fx.New(
				fx.Supply(config.Config{Postgres: pg}),
				fx.Supply(zaptest.NewLogger(t)),
				fx.Supply(prometheus.NewRegistry()),
				db.Module,
				fx.Decorate(func(p *db.Pools) *db.Pools { p.PingTimeout = time.Second; return p }),
				fx.Invoke(func(*db.DB) {}),
				fx.NopLogger,
			)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := app.Start(ctx)
			var pe *db.PingError
			if !errors.As(err, &pe) || pe.Pool != tt.pool || pe.Addr != tt.addr || pe.User != tt.user || pe.DB != tdb.Name {
				t.Fatalf("err = %v, want *PingError for the %s pool at %s", err, tt.pool, tt.addr)
			}
			var pgErr *pgconn.PgError
			if tt.wantCode != "" && (!errors.As(err, &pgErr) || !strings.HasPrefix(pgErr.Code, tt.wantCode)) {
				t.Errorf("err = %v, want SQLSTATE class %s", err, tt.wantCode)
			}
			if strings.Contains(err.Error(), "Sup3r") {
				t.Errorf("password leaked: %v", err)
			}
			if !strings.Contains(err.Error(), "POSTGRES_"+strings.ToUpper(tt.pool)+"_") {
				t.Errorf("error does not say what to check: %v", err)
			}
			_ = app.Stop(ctxT(t))
		})
	}
}

func TestNewPoolsErrors(t *testing.T) {
	tests := []struct {
		name string
		pg   config.Postgres
		want string
	}{
		{"embedded not filled", config.Postgres{Embedded: true}, "readwrite pool has no URL"},
		{"read-only missing", config.Postgres{ReadWrite: config.Conn{URL: "postgres://u@h/db"}}, "readonly pool has no URL"},
		{"unparsable", config.Postgres{ReadWrite: config.Conn{URL: "postgres://u:pw@h:notaport/db"}, ReadOnly: config.Conn{URL: "postgres://u@h/db"}}, "readwrite pool: parse URL [REDACTED]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.NewPools(tt.pg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), ":pw@") {
				t.Errorf("password leaked: %v", err)
			}
		})
	}
	if _, err := db.NewPools(config.Postgres{Embedded: true}); !errors.Is(err, db.ErrNotConfigured) {
		t.Errorf("want ErrNotConfigured, got %v", err)
	}
}

func TestNewRejectsNil(t *testing.T) {
	tdb := dbtest.New(t)
	pools, err := db.NewPools(pgConfig(tdb))
	if err != nil {
		t.Fatal(err)
	}
	defer pools.Close()
	tests := []struct {
		name string
		fn   func() error
		want string
	}{
		{"nil pools", func() error { _, err := db.New(nil, zap.NewNop(), 0); return err }, "pools are nil"},
		{"nil logger", func() error { _, err := db.New(pools, nil, 0); return err }, "logger is nil"},
		{"nil option", func() error { _, err := db.New(pools, zap.NewNop(), 0, nil); return err }, "option is nil"},
		{"nil registry", func() error { _, err := db.New(pools, zap.NewNop(), 0, db.WithRegistry(nil)); return err }, "registry is nil"},
		{"nil pending", func() error { _, err := db.New(pools, zap.NewNop(), 0, db.WithPendingChecker(nil)); return err }, "pending checker is nil"},
		{"negative slow", func() error { _, err := db.New(pools, zap.NewNop(), 0, db.WithSlowQueryThreshold(-1)); return err }, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.fn(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestStopDrains holds a transaction open while Stop runs: Stop must wait for
// it, the transaction must still commit, and only then the pools close.
func TestStopDrains(t *testing.T) {
	tdb := dbtest.New(t)
	d, err := db.Open(ctxT(t), pgConfig(tdb), zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	exec(t, d, "CREATE TABLE items (id serial PRIMARY KEY, v text NOT NULL)")
	inTx, release := make(chan struct{}), make(chan struct{})
	txDone := make(chan error, 1)
	go func() {
		txDone <- d.WithTx(context.Background(), func(ctx context.Context) error {
			if err := insert(ctx, d, "in-flight"); err != nil {
				return err
			}
			close(inTx)
			<-release
			return insert(ctx, d, "after-stop-began")
		})
	}()
	<-inTx
	stopDone := make(chan error, 1)
	go func() { stopDone <- d.Stop(context.Background()) }()
	select {
	case err := <-stopDone:
		t.Fatalf("Stop returned (%v) while a transaction was in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := d.Ready(ctxT(t)); !errors.Is(err, db.ErrStopping) {
		t.Errorf("Ready while stopping = %v, want ErrStopping", err)
	}
	close(release)
	if err := <-txDone; err != nil {
		t.Fatalf("in-flight transaction failed: %v", err)
	}
	if err := <-stopDone; err != nil {
		t.Fatalf("Stop: %v", err)
	}
	sdb := tdb.OpenDB(t)
	var n int
	if err := sdb.QueryRowContext(ctxT(t), "SELECT count(*) FROM items").Scan(&n); err != nil || n != 2 {
		t.Fatalf("rows after stop = %d (%v), want 2", n, err)
	}
}

func TestStopDeadline(t *testing.T) {
	tdb := dbtest.New(t)
	d, err := db.Open(ctxT(t), pgConfig(tdb), zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := d.Pools().ReadWrite.Conn(ctxT(t)) // held and never returned
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = d.Stop(ctx)
	var de *db.DrainError
	if !errors.As(err, &de) || de.InUse[db.PoolReadWrite] != 1 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want *DrainError with readwrite:1", err)
	}
	if err := d.Pools().ReadOnly.PingContext(ctxT(t)); err == nil {
		t.Error("pools not closed after the deadline")
	}
}

func TestHealth(t *testing.T) {
	pending := 2
	d, _, _ := open(t, db.WithPendingChecker(db.PendingFunc(func(context.Context) (int, error) {
		if pending < 0 {
			return 0, errors.New("revisions table unreadable")
		}
		return pending, nil
	})))
	ctx := ctxT(t)
	if err := d.Live(ctx); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		pending int
		want    string
	}{
		{2, "migrations: 2 migration(s) not applied"},
		{-1, "migrations: check pending migrations: revisions table unreadable"},
		{0, ""},
	}
	for _, tt := range tests {
		pending = tt.pending
		err := d.Ready(ctx)
		if tt.want == "" {
			if err != nil {
				t.Errorf("pending=%d: %v", tt.pending, err)
			}
			continue
		}
		var nre *db.NotReadyError
		if !errors.As(err, &nre) || !strings.Contains(err.Error(), tt.want) || nre.Report.Ready {
			t.Errorf("pending=%d: err = %v, want %q", tt.pending, err, tt.want)
		}
	}
	r := d.Health(ctx)
	if got := fmt.Sprint(r); !strings.Contains(got, "readwrite true true") || !strings.Contains(got, "readonly true true") {
		t.Errorf("report %v", got)
	}
}

func TestStatementLogging(t *testing.T) {
	d, _, l := open(t)
	before := l.Len() // start-up checks
	ctx := reqid.NewContext(ctxT(t), "req-7")
	if _, err := d.Writer(ctx).ExecContext(ctx, "SELECT $1::text", config.Secret("hunter2")); err != nil {
		t.Fatal(err)
	}
	if err := d.WithTx(ctx, func(ctx context.Context) error {
		_, err := d.Writer(ctx).ExecContext(ctx, "SELECT 1")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range l.All()[before:] {
		m := e.ContextMap()
		got = append(got, fmt.Sprintf("%v %v %v %v %v", m["role"], m["op"], m["query"], m["args"], m["request_id"]))
	}
	want := []string{
		"primary exec SELECT $1::text [[REDACTED]] req-7",
		"primary begin <nil> <nil> req-7",
		"primary exec SELECT 1 <nil> req-7",
		"primary commit <nil> <nil> req-7",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("log entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestWarnsWhenReadOnlyRoleCanWrite(t *testing.T) {
	tests := []struct {
		name     string
		sameRole bool
		wantWarn bool
	}{
		{"read-only role", false, false},
		{"owner role on the read-only side", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tdb := dbtest.New(t)
			pg := pgConfig(tdb)
			if tt.sameRole {
				pg.ReadOnly.URL = pg.ReadWrite.URL
			}
			_, l := openOn(t, pg)
			warned := l.FilterMessageSnippet("only default_transaction_read_only stops writes").Len() == 1
			if warned != tt.wantWarn {
				t.Errorf("warned = %v, want %v", warned, tt.wantWarn)
			}
		})
	}
}
