package rekey_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib"
	"go.uber.org/zap"

	"github.com/central/central/ent"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/migrate"
	"github.com/central/central/internal/pgserver"
	"github.com/central/central/internal/rekey"
	"github.com/central/central/internal/sensitive"
	localkeys "github.com/central/central/internal/sensitive/keyring"
	"github.com/central/central/migrations"
)

// BenchmarkRekey measures `app db rekey` on N sealed connector states
// (REKEY_BENCH_ROWS, default 10,000): each iteration moves every row to the
// next key, so every iteration does the full work. It reports rows/s and
// the Go process's peak RSS growth during the run (VmHWM after the run
// minus VmRSS before it, peak reset through /proc/self/clear_refs).
//
// By default it starts its own durable cluster (fsync, full_page_writes
// and synchronous_commit on, as in production); REKEY_BENCH_FSYNC=off uses
// the test cluster (fsync off) instead. The settings in use are logged.
//
//	REKEY_BENCH_ROWS=1000000 go test ./internal/rekey -run '^$' -bench BenchmarkRekey -benchtime 1x -timeout 30m -v
//
// It also runs the previous per-row design on REKEY_BENCH_BASELINE_ROWS
// rows (default min(N, 20,000); 0 skips it) right after, and reports the
// ratio, and the CPU per row of this process and of the server (durable
// cluster only), which do not depend on the machine's load.
//
// Measured 2026-12-01 on the 2-core dev machine, shared (load average 6-9):
// 10^6 rows, fsync/full_page_writes/synchronous_commit on: 10,738 rows/s
// (93 s), peak RSS growth 25 MB, CPU per row Go 33.5 µs + PostgreSQL
// 32.1 µs (CPU-bound rate on 2 idle cores ≈ 30k rows/s). 10^5 rows, same
// settings: 16,944 rows/s against 2,009 for the per-row design (8.4x).
// Those runs were as the superuser. Since the job runs as the app's role
// under row-level security, tenant by tenant (set_config sent with each
// statement, same round trip): 5·10^4 rows of one tenant, fsync on, load
// average 5.5: 9,944 rows/s, CPU per row Go 39.0 µs + PostgreSQL 31.8 µs
// (CPU-bound ≈ 28k rows/s), peak RSS growth 23 MB; the per-row baseline
// (as the superuser) 2,503 rows/s on 2·10^4 rows (3.97x).
//
// With the hand-written envelope parser and the local keeper without
// gocloud's tracing wrapper (keyring.NewLocalKeeper), 10^6 rows, durable,
// load average 17 → 15: 5,547 rows/s, CPU per row Go 27.2 µs + PostgreSQL
// 47.7 µs (CPU-bound ≈ 21k rows/s), peak RSS growth 24.8 MB; the per-row
// baseline 2,065 rows/s (2.69x). See BENCHMARKS.md.
//
// REKEY_BENCH_STATEMENTS=1 loads pg_stat_statements into the durable
// cluster and logs the server's most expensive statements at the end.
func BenchmarkRekey(b *testing.B) {
	rows := 10_000
	if s := os.Getenv("REKEY_BENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("REKEY_BENCH_ROWS=%q: want a positive integer", s)
		}
		rows = n
	}
	ctx := context.Background()
	url, appURL, pgPID := benchCluster(b)
	sqlDB, err := sql.Open("pgx", url)
	if err != nil {
		b.Fatal(err)
	}
	defer sqlDB.Close()
	var settings []string
	for _, name := range []string{"fsync", "full_page_writes", "synchronous_commit", "shared_buffers"} {
		var v string
		if err := sqlDB.QueryRowContext(ctx, "SELECT current_setting($1)", name).Scan(&v); err != nil {
			b.Fatal(err)
		}
		settings = append(settings, name+"="+v)
	}
	b.Logf("cluster: %s; load average: %s", strings.Join(settings, " "), loadAvg())

	// Keys 1..2b.N+1: the data starts under key 1 (see the loop).
	material := func(i int) [32]byte {
		var k [32]byte
		k[0], k[1] = byte(i), byte(i>>8)
		return k
	}
	keepers := map[sensitive.KeyRef]sensitive.Keeper{}
	for i := 1; i <= 2*b.N+1; i++ {
		keepers[sensitive.KeyRef{ID: "bench", Version: i}] = localkeys.NewLocalKeeper(material(i))
	}
	start := time.Now()
	fillConnectors(b, ctx, url, sensitive.KeyRef{ID: "bench", Version: 1}, localkeys.NewLocalKeeper(material(1)), rows)
	b.Logf("filled %d sealed connector states in %s", rows, time.Since(start).Round(time.Millisecond))
	if _, err := sqlDB.ExecContext(ctx, "VACUUM ANALYZE oidc_connectors"); err != nil {
		b.Fatal(err)
	}

	client := benchClient(b, appURL)
	baseRows := min(rows, 20_000)
	if s := os.Getenv("REKEY_BENCH_BASELINE_ROWS"); s != "" {
		if baseRows, err = strconv.Atoi(s); err != nil {
			b.Fatalf("REKEY_BENCH_BASELINE_ROWS=%q: %v", s, err)
		}
	}
	var elapsed, baseElapsed time.Duration
	var goCPU, pgCPU float64
	var peakGrowth, peak float64
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		// Keys: 1 at the start; iteration i's job moves everything to
		// 2i+2, then the baseline moves its first baseRows rows to 2i+3.
		kr, err := sensitive.NewKeyring(sensitive.KeyRef{ID: "bench", Version: 2*i + 2}, keepers)
		if err != nil {
			b.Fatal(err)
		}
		j, err := rekey.New(zap.NewNop(), client, kr, ent.SealedColumns(), ent.Entities())
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		debug.FreeOSMemory()
		base := resetPeakRSS(b)
		b.StartTimer()
		t0, go0, pg0 := time.Now(), processCPUSeconds(), cpuSeconds(pgPID)
		st, err := j.Rekey(ctx, nil, 0)
		elapsed += time.Since(t0)
		goCPU += processCPUSeconds() - go0
		pgCPU += cpuSeconds(pgPID) - pg0
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if st.Rekeyed() != rows {
			b.Fatalf("rekeyed %d, want %d", st.Rekeyed(), rows)
		}
		hwm := statusKB(b, "VmHWM")
		peakGrowth = max(peakGrowth, float64(hwm-base)/1024)
		peak = max(peak, float64(hwm)/1024)

		// The previous design, right after on the same data: a
		// transaction per batch, rows locked FOR UPDATE, one UPDATE per row.
		if baseRows > 0 {
			kb, err := sensitive.NewKeyring(sensitive.KeyRef{ID: "bench", Version: 2*i + 3}, keepers)
			if err != nil {
				b.Fatal(err)
			}
			t0 = time.Now()
			perRowBaseline(b, ctx, sqlDB, kb, baseRows)
			baseElapsed += time.Since(t0)
		}
		b.StartTimer()
	}
	if baseRows > 0 {
		jobRate, baseRate := float64(rows*b.N)/elapsed.Seconds(), float64(baseRows*b.N)/baseElapsed.Seconds()
		b.ReportMetric(baseRate, "baseline-rows/s")
		b.ReportMetric(jobRate/baseRate, "speedup")
		b.Logf("per-row baseline on %d rows: %.0f rows/s; job/baseline = %.2fx", baseRows, baseRate, jobRate/baseRate)
	}
	if pgPID != 0 {
		// CPU per row does not depend on the machine's load; on an idle
		// machine with 2 cores the pipeline can run at most at
		// min(cores/(go+pg), 1/pg) rows/s (the server side is one backend).
		goPer, pgPer := goCPU/float64(rows*b.N), pgCPU/float64(rows*b.N)
		bound := min(float64(runtime.NumCPU())/(goPer+pgPer), 1/pgPer)
		b.ReportMetric(goPer*1e6, "go-cpu-µs/row")
		b.ReportMetric(pgPer*1e6, "pg-cpu-µs/row")
		b.ReportMetric(bound, "cpu-bound-rows/s")
		b.Logf("CPU per row: Go %.1f µs, PostgreSQL %.1f µs (per 10^5 rows: Go %.2f s, PostgreSQL %.2f s); CPU-bound rate on %d idle cores ≈ %.0f rows/s",
			goPer*1e6, pgPer*1e6, goPer*1e5, pgPer*1e5, runtime.NumCPU(), bound)
	}
	if os.Getenv("REKEY_BENCH_STATEMENTS") != "" {
		logStatements(b, ctx, sqlDB)
	}
	b.ReportMetric(float64(rows*b.N)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(peakGrowth, "peak-RSS-growth-MB")
	b.ReportMetric(peak, "peak-RSS-MB")
	b.Logf("%d rows: %.0f rows/s, peak RSS growth %.1f MB (peak %.1f MB), %s; load average at the end: %s",
		rows, float64(rows*b.N)/elapsed.Seconds(), peakGrowth, peak, strings.Join(settings, " "), loadAvg())
}

// perRowBaseline re-encrypts the first n connector states the way the job
// did before batching its writes (a transaction per batch of 500, rows
// locked FOR UPDATE, one UPDATE round trip per row, updated_at rewritten
// as ent's UpdateOne did), with the same crypto.
func perRowBaseline(b *testing.B, ctx context.Context, db *sql.DB, kr *sensitive.Keyring, n int) {
	b.Helper()
	var cursor string
	for done := 0; done < n; {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		// Two statements, as ent built them: an OR on the cursor would
		// keep the planner from starting the index scan at it. ORDER BY
		// names the table's id: a bare "id" would be the id::text output
		// column, sorted after a full scan.
		q, args := `SELECT id::text, state::text, updated_at FROM oidc_connectors ORDER BY oidc_connectors.id LIMIT $1 FOR UPDATE`, []any{min(500, n-done)}
		if cursor != "" {
			q = `SELECT id::text, state::text, updated_at FROM oidc_connectors WHERE id > $2::uuid ORDER BY oidc_connectors.id LIMIT $1 FOR UPDATE`
			args = append(args, cursor)
		}
		rs, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			b.Fatal(err)
		}
		type r struct {
			id, v string
			at    time.Time
		}
		var batch []r
		for rs.Next() {
			var x r
			if err := rs.Scan(&x.id, &x.v, &x.at); err != nil {
				b.Fatal(err)
			}
			batch = append(batch, x)
		}
		if err := rs.Err(); err != nil {
			b.Fatal(err)
		}
		if len(batch) == 0 {
			_ = tx.Rollback()
			return
		}
		for _, x := range batch {
			var s sensitive.Sealed[[]byte]
			_ = s.Scan(x.v)
			var id [16]byte
			copy(id[:], uuidBytes(b, x.id))
			out, _, err := sensitive.RekeyAt(ctx, kr, sensitive.At("oidc_connectors", "state", id), s)
			if err != nil {
				b.Fatal(err)
			}
			v, _ := out.Value()
			if _, err := tx.ExecContext(ctx, `UPDATE oidc_connectors SET state = $1, updated_at = $2 WHERE id = $3`, v, x.at, x.id); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		cursor = batch[len(batch)-1].id
		done += len(batch)
	}
}

func uuidBytes(b *testing.B, s string) []byte {
	b.Helper()
	out, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// benchClient is what `app db rekey` uses: the read-write driver of db.DB
// (SQL log, write marking and all), as the app's role.
func benchClient(b *testing.B, url string) rekey.Conn {
	b.Helper()
	d, err := db.Open(context.Background(), config.Postgres{
		ReadWrite: config.Conn{URL: config.Secret(url), PoolSize: 4},
		ReadOnly:  config.Conn{URL: config.Secret(url), PoolSize: 2},
	}, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = d.Stop(context.Background()) })
	return d.Driver()
}

// benchCluster returns a superuser URL (to fill the table by COPY, which
// row-level security forbids to the app's role, and for the baseline) and
// the app's read-write role URL (the job runs as it, under row-level
// security, tenant by tenant), on a database with the migrations applied:
// a durable cluster of its own unless REKEY_BENCH_FSYNC=off. It also
// returns the postmaster's PID (0 for the shared test cluster), to account
// the server's CPU time.
func benchCluster(b *testing.B) (admin, app string, pid int) {
	b.Helper()
	ctx := context.Background()
	if os.Getenv("REKEY_BENCH_FSYNC") == "off" {
		tdb := dbtest.New(b)
		return tdb.AdminURL, tdb.URL, 0
	}
	dir, err := os.MkdirTemp("", "rekey-bench-")
	if err != nil {
		b.Fatal(err)
	}
	// The server runs as the postgres user, which must traverse the path.
	if err := os.Chmod(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	settings := map[string]string{"synchronous_commit": "on"}
	if os.Getenv("REKEY_BENCH_STATEMENTS") != "" {
		settings["shared_preload_libraries"] = "pg_stat_statements"
	}
	srv, err := pgserver.Start(ctx, pgserver.Config{DataDir: filepath.Join(dir, "pg"), Logger: zap.NewNop(), Settings: settings})
	if err != nil {
		os.RemoveAll(dir)
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = srv.Stop(context.Background())
		os.RemoveAll(dir)
	})
	// The app's role owns what the migrations create, as when the app
	// applies them at boot.
	app = srv.URL(pgserver.RoleReadWrite, "central")
	db, err := sql.Open("pgx", app)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := migrate.Up(ctx, db, migrations.FS); err != nil {
		b.Fatal(err)
	}
	admin = srv.URL(pgserver.RoleSuperuser, "central")
	if os.Getenv("REKEY_BENCH_STATEMENTS") != "" {
		sdb, err := sql.Open("pgx", admin)
		if err != nil {
			b.Fatal(err)
		}
		defer sdb.Close()
		if _, err := sdb.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); err != nil {
			b.Fatal(err)
		}
	}
	return admin, app, srv.PID()
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times on Linux.
const clockTicks = 100

// cpuSeconds returns the CPU time used so far by the postmaster pid, its
// reaped children (cutime, cstime) and its live children: the whole
// server's CPU, whatever the load of the machine.
func cpuSeconds(pid int) float64 {
	if pid == 0 {
		return 0
	}
	stat := func(p string) (ppid int, ticks int64, ok bool) {
		data, err := os.ReadFile("/proc/" + p + "/stat")
		if err != nil {
			return 0, 0, false
		}
		s := string(data)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from 3 (state) on
		ppid, _ = strconv.Atoi(f[1])
		for _, i := range []int{11, 12} { // utime, stime (fields 14, 15)
			v, _ := strconv.ParseInt(f[i], 10, 64)
			ticks += v
		}
		if p == strconv.Itoa(pid) {
			for _, i := range []int{13, 14} { // cutime, cstime (16, 17)
				v, _ := strconv.ParseInt(f[i], 10, 64)
				ticks += v
			}
		}
		return ppid, ticks, true
	}
	_, total, _ := stat(strconv.Itoa(pid))
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil || e.Name() == strconv.Itoa(pid) {
			continue
		}
		if ppid, t, ok := stat(e.Name()); ok && ppid == pid {
			total += t
		}
	}
	return float64(total) / clockTicks
}

// processCPUSeconds is this process's user+system CPU time.
func processCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// fillConnectors stores n connectors of one tenant with states sealed
// under ref and bound to their rows, by COPY in chunks (sealing in
// parallel), so the fill itself does not hold n rows in memory.
func fillConnectors(b *testing.B, ctx context.Context, url string, ref sensitive.KeyRef, kp sensitive.Keeper, n int) {
	b.Helper()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	kr, err := sensitive.NewKeyring(ref, map[sensitive.KeyRef]sensitive.Keeper{ref: kp})
	if err != nil {
		b.Fatal(err)
	}
	tenant := entityid.NewTenantID()
	if _, err := pool.Exec(ctx, "INSERT INTO tenants (id, slug, display_name) VALUES ($1, 'bench', 'Bench')", tenant.UUID()); err != nil {
		b.Fatal(err)
	}
	const chunk = 20_000
	for lo := 0; lo < n; lo += chunk {
		m := min(chunk, n-lo)
		rows := make([][]any, m)
		var wg sync.WaitGroup
		workers := runtime.GOMAXPROCS(0)
		errs := make([]error, workers)
		for w := range workers {
			wg.Go(func() {
				for i := w; i < m; i += workers {
					id := entityid.NewOIDCConnectorID()
					s, err := sensitive.SealAt(ctx, kr, sensitive.At("oidc_connectors", "state", id.UUID()),
						jsonb.OIDCConnectorState{ClientSecret: fmt.Sprintf("secret-%08d-%s", lo+i, strings.Repeat("x", 40)),
							Scopes: []string{"openid", "email", "profile"}, JWKSURI: "https://idp.example/.well-known/jwks.json"})
					if err != nil {
						errs[w] = err
						return
					}
					v, _ := s.Value()
					rows[i] = []any{id.UUID(), tenant.UUID(), fmt.Sprintf("c%08d", lo+i), "https://idp.example", "client", v}
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{"oidc_connectors"},
			[]string{"id", "tenant_id", "name", "issuer", "client_id", "state"}, pgx.CopyFromRows(rows)); err != nil {
			b.Fatal(err)
		}
	}
}

// resetPeakRSS resets VmHWM to the current RSS and returns that RSS in kB.
func resetPeakRSS(b *testing.B) int {
	b.Helper()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Fatalf("reset peak RSS: %v", err)
	}
	return statusKB(b, "VmRSS")
}

func statusKB(b *testing.B, field string) int {
	b.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// logStatements logs the server's most expensive statements of the run
// (REKEY_BENCH_STATEMENTS=1 loads pg_stat_statements into the durable
// cluster): where the server's time per row goes.
func logStatements(b *testing.B, ctx context.Context, db *sql.DB) {
	b.Helper()
	rs, err := db.QueryContext(ctx, `SELECT calls, rows, total_exec_time, left(regexp_replace(query, '\s+', ' ', 'g'), 140)
		FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 8`)
	if err != nil {
		b.Logf("pg_stat_statements: %v", err)
		return
	}
	defer rs.Close()
	for rs.Next() {
		var calls, n int64
		var ms float64
		var q string
		if err := rs.Scan(&calls, &n, &ms, &q); err != nil {
			b.Fatal(err)
		}
		b.Logf("statement: %8.0f ms %6d calls %8d rows  %s", ms, calls, n, q)
	}
}
