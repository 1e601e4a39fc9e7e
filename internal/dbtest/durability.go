package dbtest

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// DurableEnv is the environment variable that, set to 1, starts the
// embedded clusters durable: fsync, full_page_writes and synchronous_commit
// on, in the temporary directory rather than /dev/shm (fsync on tmpfs does
// nothing). Benchmarks whose figures are quoted run that way:
//
//	DBTEST_DURABLE=1 go test -run '^$' -bench . ./internal/seed/
//
// By default embedded clusters run with fsync and full_page_writes off,
// which is right for tests and flatters write-heavy benchmarks.
const DurableEnv = "DBTEST_DURABLE"

// embeddedSettings are the settings of an embedded cluster.
func embeddedSettings(durable bool) map[string]string {
	s := maps.Clone(clusterSettings)
	if durable {
		// pgserver's Ephemeral turns fsync and full_page_writes off;
		// these settings come after and win.
		s["fsync"] = "on"
		s["full_page_writes"] = "on"
		s["synchronous_commit"] = "on"
	}
	return s
}

// Durability is what a server does to make a commit survive a crash.
type Durability struct {
	Fsync, FullPageWrites, SynchronousCommit string // as SHOW prints them
	// Tmpfs is true for an embedded cluster whose data is in memory
	// (/dev/shm): there, even fsync=on writes nothing to disk.
	Tmpfs bool

	logged *sync.Map // *testing.B already told, so each benchmark logs once
}

// Durable reports whether a commit reaches stable storage before it returns.
func (d *Durability) Durable() bool {
	return d.Fsync == "on" && d.FullPageWrites == "on" && d.SynchronousCommit != "off" && !d.Tmpfs
}

func (d *Durability) String() string {
	s := fmt.Sprintf("fsync=%s full_page_writes=%s synchronous_commit=%s", d.Fsync, d.FullPageWrites, d.SynchronousCommit)
	if d.Tmpfs {
		s += " data on tmpfs"
	}
	if d.Durable() {
		return s + " (durable)"
	}
	return s + " (NOT durable: set " + DurableEnv + "=1 for figures worth quoting)"
}

func queryDurability(ctx context.Context, pool *pgxpool.Pool) (Durability, error) {
	d := Durability{logged: &sync.Map{}}
	err := pool.QueryRow(ctx, "SELECT current_setting('fsync'), current_setting('full_page_writes'), current_setting('synchronous_commit')").
		Scan(&d.Fsync, &d.FullPageWrites, &d.SynchronousCommit)
	if err != nil {
		return d, fmt.Errorf("dbtest: read the server's fsync settings: %w", err)
	}
	return d, nil
}

// report states the cluster's durability in benchmark b's result line (the
// metric durable: 1 or 0) and, once, in its log.
func (d *Durability) report(b *testing.B) {
	if _, told := d.logged.LoadOrStore(b, true); !told {
		b.Logf("dbtest: cluster %s", d)
	}
	v := 0.0
	if d.Durable() {
		v = 1
	}
	// Reported at cleanup: B.Loop's first call resets earlier metrics.
	b.Cleanup(func() { b.ReportMetric(v, "durable") })
}

// onTmpfs reports whether dir is on a tmpfs (RAM) file system.
func onTmpfs(dir string) bool {
	const tmpfsMagic = 0x01021994
	var st syscall.Statfs_t
	return syscall.Statfs(dir, &st) == nil && st.Type == tmpfsMagic
}
