package pgserver

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestReplicaReplaysWrites(t *testing.T) {
	root := tempDir(t)
	p := start(t, Config{DataDir: filepath.Join(root, "primary"), Ephemeral: true})
	ctx := ctxT(t)
	r, err := p.StartReplica(ctx, ReplicaConfig{DataDir: filepath.Join(root, "replica")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Stop(context.Background()); err != nil {
			t.Errorf("replica Stop: %v", err)
		}
	})
	if r.Port() == p.Port() || r.Port() == 0 {
		t.Fatalf("replica port %d, primary port %d", r.Port(), p.Port())
	}

	rw := connect(t, p.URL(RoleReadWrite, Database))
	mustExec(t, rw, "CREATE TABLE events (id int)")
	mustExec(t, rw, "INSERT INTO events VALUES (1)")
	waitCurrent(t, p, r)

	ro := connect(t, r.URL(RoleReadOnly, Database))
	if n := queryInt(t, ro, "SELECT count(*) FROM events"); n != 1 {
		t.Fatalf("replica sees %d rows, want 1", n)
	}
	// Even the owner cannot write on a hot standby.
	owner := connect(t, r.URL(RoleReadWrite, Database))
	_, err = owner.Exec(ctx, "INSERT INTO events VALUES (2)")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
		t.Fatalf("write on replica: err = %v, want 25006", err)
	}
	ro.Close(ctx)
	owner.Close(ctx)

	// Stopped replica: WaitReplay fails fast, and the replica catches up
	// after Start.
	if err := r.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	mustExec(t, rw, "INSERT INTO events VALUES (3)")
	lsn, err := p.CurrentLSN(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WaitReplay(ctx, lsn); err == nil {
		t.Fatal("WaitReplay on a stopped replica succeeded")
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitCurrent(t, p, r)
	ro2 := connect(t, r.URL(RoleReadOnly, Database))
	if n := queryInt(t, ro2, "SELECT count(*) FROM events"); n != 2 {
		t.Fatalf("replica sees %d rows after restart, want 2", n)
	}
}

func TestWaitReplayErrors(t *testing.T) {
	root := tempDir(t)
	p := start(t, Config{DataDir: filepath.Join(root, "primary"), Ephemeral: true})
	ctx := ctxT(t)
	r, err := p.StartReplica(ctx, ReplicaConfig{DataDir: filepath.Join(root, "replica")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Stop(context.Background()) })

	if err := r.WaitReplay(ctx, "not-an-lsn"); err == nil {
		t.Fatal("WaitReplay accepted a malformed LSN")
	}
	// An LSN far in the future is never reached: the context decides.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := r.WaitReplay(short, "FF/0"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitReplay(FF/0) = %v, want deadline exceeded", err)
	}
	if _, err := p.StartReplica(ctx, ReplicaConfig{DataDir: p.DataDir()}); err == nil {
		t.Fatal("StartReplica into the primary's data directory succeeded")
	}
	if _, err := p.StartReplica(ctx, ReplicaConfig{DataDir: r.DataDir()}); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second replica on a running replica's directory: err = %v, want ErrAlreadyRunning", err)
	}
}

func waitCurrent(t *testing.T, p *Server, r *Replica) {
	t.Helper()
	ctx := ctxT(t)
	lsn, err := p.CurrentLSN(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WaitReplay(ctx, lsn); err != nil {
		t.Fatal(err)
	}
}

func TestReplicaInheritsPrimarySettings(t *testing.T) {
	root := tempDir(t)
	p := start(t, Config{DataDir: filepath.Join(root, "primary"), Ephemeral: true, Settings: map[string]string{"max_connections": "150"}})
	ctx := ctxT(t)
	r, err := p.StartReplica(ctx, ReplicaConfig{DataDir: filepath.Join(root, "replica"), Settings: map[string]string{"work_mem": "8MB"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Stop(context.Background()) })
	conn := connect(t, r.URL(RoleReadOnly, Database))
	var maxConn, workMem string
	if err := conn.QueryRow(ctx, "SELECT current_setting('max_connections'), current_setting('work_mem')").Scan(&maxConn, &workMem); err != nil {
		t.Fatal(err)
	}
	if maxConn != "150" || workMem != "8MB" {
		t.Fatalf("replica max_connections=%s work_mem=%s, want 150 and 8MB", maxConn, workMem)
	}
}
