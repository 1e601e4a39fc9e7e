package service_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"gocloud.dev/secrets/localsecrets"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/service"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// testKey returns a fixed 32-byte local key derived from b.
func testKey(b byte) [32]byte {
	var k [32]byte
	for i := range k {
		k[i] = b + byte(i)
	}
	return k
}

var (
	key1 = sensitive.KeyRef{ID: "local", Version: 1}
	key2 = sensitive.KeyRef{ID: "local", Version: 2}
)

// keyring builds a keyring with local keepers: keys maps each ref to its key
// material; current is the sealing key.
func keyring(t testing.TB, current sensitive.KeyRef, keys map[sensitive.KeyRef][32]byte) *sensitive.Keyring {
	t.Helper()
	keepers := make(map[sensitive.KeyRef]sensitive.Keeper, len(keys))
	for ref, k := range keys {
		keepers[ref] = localsecrets.NewKeeper(k)
	}
	kr, err := sensitive.NewKeyring(current, keepers)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kr.Close() })
	return kr
}

// env is one test's database, store and services.
type env struct {
	tdb  *dbtest.DB
	db   *db.DB
	raw  *sql.DB // superuser connection (bypasses row-level security), for raw checks behind the services' back
	keys *sensitive.Keyring
	svc  *service.Services
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWithKeys(t, keyring(t, key1, map[sensitive.KeyRef][32]byte{key1: testKey(1)}))
}

func newEnvWithKeys(t testing.TB, kr *sensitive.Keyring) *env {
	t.Helper()
	return newEnvLogged(t, kr, zaptest.NewLogger(t))
}

// newEnvLogged builds the env with logger for the database and the services.
func newEnvLogged(t testing.TB, kr *sensitive.Keyring, logger *zap.Logger) *env {
	t.Helper()
	tdb := dbtest.New(t)
	e := &env{tdb: tdb, raw: tdb.OpenAdminDB(t), keys: kr}
	e.db = openStore(t, tdb, logger)
	var err error
	if e.svc, err = service.NewServices(logger, e.db, kr); err != nil {
		t.Fatal(err)
	}
	return e
}

func openStore(t testing.TB, tdb *dbtest.DB, logger *zap.Logger) *db.DB {
	t.Helper()
	cfg := config.Postgres{
		ReadWrite: config.Conn{URL: config.Secret(tdb.URL), PoolSize: 4, AppName: "service_test_rw"},
		ReadOnly:  config.Conn{URL: config.Secret(tdb.ReadOnlyURL), PoolSize: 4, AppName: "service_test_ro"},
	}
	d, err := db.Open(ctxT(t), cfg, logger.Named("db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Stop(context.Background()) })
	return d
}

func newServices(t testing.TB, store service.Store, kr *sensitive.Keyring) *service.Services {
	t.Helper()
	s, err := service.NewServices(zaptest.NewLogger(t), store, kr)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// count returns SELECT count(*) FROM table (owner connection).
func (e *env) count(t testing.TB, table string) int {
	t.Helper()
	var n int
	if err := e.raw.QueryRowContext(ctxT(t), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// snapshot summarises every business table and the audit trail, so a test
// can assert that a call changed nothing.
func (e *env) snapshot(t testing.TB) string {
	t.Helper()
	var s string
	err := e.raw.QueryRowContext(ctxT(t), `SELECT concat_ws(' | ',
		(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY id), '')) FROM tenants t),
		(SELECT md5(coalesce(string_agg(u::text, ',' ORDER BY id), '')) FROM users u),
		(SELECT md5(coalesce(string_agg(g::text, ',' ORDER BY id), '')) FROM user_tags g),
		(SELECT md5(coalesce(string_agg(c::text, ',' ORDER BY id), '')) FROM oidc_connectors c),
		(SELECT md5(coalesce(string_agg(o::text, ',' ORDER BY id), '')) FROM stored_objects o),
		(SELECT count(*)::text FROM audit_events))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
