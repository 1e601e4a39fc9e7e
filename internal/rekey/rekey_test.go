package rekey_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap/zaptest"
	"gocloud.dev/secrets/localsecrets"

	"github.com/central/central/ent"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/entmeta"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/rekey"
	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/sensitive/sensitivetest"
	"github.com/central/central/internal/service"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var (
	key1 = sensitive.KeyRef{ID: "local", Version: 1}
	key2 = sensitive.KeyRef{ID: "local", Version: 2}
)

func material(b byte) [32]byte {
	var k [32]byte
	for i := range k {
		k[i] = b + byte(i)
	}
	return k
}

func keyring(t testing.TB, current sensitive.KeyRef, keys map[sensitive.KeyRef][32]byte) *sensitive.Keyring {
	t.Helper()
	keepers := map[sensitive.KeyRef]sensitive.Keeper{}
	for ref, k := range keys {
		keepers[ref] = localsecrets.NewKeeper(k)
	}
	kr, err := sensitive.NewKeyring(current, keepers)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

const (
	nUsers      = 25 // with idp_user_info
	nNullUsers  = 3  // without
	nConnectors = 5
)

// registry is the list under test: every sealed column of the schema, and
// entities their tenancy.
var (
	registry = ent.SealedColumns()
	entities = ent.Entities()
)

// sealedPer is how many non-NULL sealed values newEnv stores per column.
var sealedPer = map[string]int{"users.idp_user_info": nUsers, "oidc_connectors.state": nConnectors}

type env struct {
	db     *db.DB
	tdb    *dbtest.DB
	raw    *sql.DB
	tenant entityid.TenantID
}

// newEnv fills a database with users and connectors sealed under key1
// through the services (version 2, bound to their rows), and checks that
// it stored values in every registered column: a sealed column added to
// the registry fails here until the fixture fills it.
func newEnv(t *testing.T) *env {
	t.Helper()
	tdb := dbtest.New(t)
	d, err := db.Open(ctxT(t), config.Postgres{
		ReadWrite: config.Conn{URL: config.Secret(tdb.URL), PoolSize: 4},
		ReadOnly:  config.Conn{URL: config.Secret(tdb.ReadOnlyURL), PoolSize: 4},
	}, zaptest.NewLogger(t).Named("db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Stop(context.Background()) })
	svc, err := service.NewServices(zaptest.NewLogger(t), d, keyring(t, key1, map[sensitive.KeyRef][32]byte{key1: material(1)}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	tn, err := svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "rekey", DisplayName: "Rekey"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range nUsers + nNullUsers {
		in := service.CreateUserInput{Email: fmt.Sprintf("u%02d@rekey.example", i)}
		if i < nUsers {
			in.IdPUserInfo = &jsonb.IdPUserInfo{Subject: fmt.Sprintf("subject-%02d", i)}
		}
		if _, err := svc.Users.TxCreateUser(ctx, tn.ID, in); err != nil {
			t.Fatal(err)
		}
	}
	for i := range nConnectors {
		if _, err := svc.Connectors.Create(ctx, tn.ID, service.CreateConnectorInput{
			Name: fmt.Sprintf("c%d", i), Issuer: "https://idp.example", ClientID: "cid",
			State: jsonb.OIDCConnectorState{ClientSecret: fmt.Sprintf("secret-%d", i)},
		}); err != nil {
			t.Fatal(err)
		}
	}
	// The superuser sees every tenant's rows (the app's role, under
	// row-level security, sees none without a tenant).
	e := &env{db: d, tdb: tdb, raw: tdb.OpenAdminDB(t), tenant: tn.ID}
	for _, c := range registry {
		if n := len(e.values(t, c)); n == 0 || n != sealedPer[c.String()] {
			t.Fatalf("fixture stores %d values in %s (want %d, at least 1): make newEnv fill every registered sealed column and list it in sealedPer", n, c, sealedPer[c.String()])
		}
	}
	return e
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }

// values returns a column's non-NULL stored values by row ID (UUID text).
func (e *env) values(t testing.TB, c entmeta.SealedColumn) map[string]string {
	t.Helper()
	return e.byID(t, fmt.Sprintf("SELECT %s::text, %s::text FROM %s WHERE %[2]s IS NOT NULL",
		ident(c.IDColumn), ident(c.Column), ident(c.Table)))
}

// others returns, by row ID, every other column of the rows (updated_at
// included), to prove the job writes nothing else.
func (e *env) others(t testing.TB, c entmeta.SealedColumn) map[string]string {
	t.Helper()
	return e.byID(t, fmt.Sprintf("SELECT %s::text, (to_jsonb(t) - $1)::text FROM %s AS t",
		ident(c.IDColumn), ident(c.Table)), c.Column)
}

// byID runs a query of (id, value) text pairs and returns them as a map.
func (e *env) byID(t testing.TB, query string, args ...any) map[string]string {
	t.Helper()
	rows, err := e.raw.QueryContext(ctxT(t), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, v string
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		out[id] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *env) set(t testing.TB, c entmeta.SealedColumn, id, v string) {
	t.Helper()
	_, err := e.raw.ExecContext(ctxT(t), fmt.Sprintf("UPDATE %s SET %s = $1::jsonb WHERE %s = $2", ident(c.Table), ident(c.Column), ident(c.IDColumn)), v, id)
	if err != nil {
		t.Fatal(err)
	}
}

// dump is every registered column's values, to prove nothing changed.
func (e *env) dump(t testing.TB) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, c := range registry {
		out[c.String()] = e.values(t, c)
		for id, v := range e.others(t, c) {
			out[c.String()+"/others"+id] = map[string]string{"": v}
		}
	}
	return out
}

func uuidOf(t testing.TB, s string) [16]byte {
	t.Helper()
	var u [16]byte
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(b) != 16 {
		t.Fatalf("uuid %q: %v", s, err)
	}
	copy(u[:], b)
	return u
}

// opened returns the plaintext of every value of c, opened at its row.
func (e *env) opened(t testing.TB, kr *sensitive.Keyring, c entmeta.SealedColumn) map[string]string {
	t.Helper()
	out := map[string]string{}
	for id, v := range e.values(t, c) {
		var s sensitive.Sealed[json.RawMessage]
		if err := s.Scan(v); err != nil {
			t.Fatal(err)
		}
		pt, err := sensitive.OpenAt(ctxT(t), kr, sensitive.At(c.Table, c.Column, uuidOf(t, id)), s)
		if err != nil {
			t.Fatalf("%s row %s: %v", c, id, err)
		}
		out[id] = string(pt)
	}
	return out
}

type envelopeHead struct {
	V    int    `json:"v"`
	KID  string `json:"kid"`
	KVer int    `json:"kver"`
	Tbl  string `json:"tbl"`
	Col  string `json:"col"`
	Row  string `json:"row"`
}

func head(t testing.TB, v string) envelopeHead {
	t.Helper()
	var h envelopeHead
	if err := json.Unmarshal([]byte(v), &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func newJob(t testing.TB, e *env, kr *sensitive.Keyring) *rekey.Job {
	t.Helper()
	j, err := rekey.New(zaptest.NewLogger(t), e.db.Driver(), kr, registry, entities)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func statsOf(t testing.TB, st rekey.Stats, c entmeta.SealedColumn) rekey.ColumnStats {
	t.Helper()
	for _, cs := range st.Columns {
		if cs.Column == c {
			return cs
		}
	}
	t.Fatalf("no stats for %s in %+v", c, st.Columns)
	return rekey.ColumnStats{}
}

var rotated = map[sensitive.KeyRef][32]byte{key1: material(1), key2: material(2)}

func total() int {
	n := 0
	for _, v := range sealedPer {
		n += v
	}
	return n
}

func TestRekeyMovesEveryValue(t *testing.T) {
	e := newEnv(t)
	old := keyring(t, key1, map[sensitive.KeyRef][32]byte{key1: material(1)})
	plain, others := map[string]map[string]string{}, map[string]map[string]string{}
	for _, c := range registry {
		plain[c.String()], others[c.String()] = e.opened(t, old, c), e.others(t, c)
	}

	kr := keyring(t, key2, rotated)
	var out bytes.Buffer
	st, err := newJob(t, e, kr).Rekey(ctxT(t), &out, 10)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	t.Logf("progress:\n%s", out.String())
	if len(st.Columns) != len(registry) || st.Rekeyed() != total() || st.Current != key2 {
		t.Fatalf("stats = %+v", st)
	}
	only2 := keyring(t, key2, map[sensitive.KeyRef][32]byte{key2: material(2)})
	for _, c := range registry {
		n := sealedPer[c.String()]
		cs := statsOf(t, st, c)
		if cs.Pending != n || cs.Rekeyed != n || cs.Batches != (n+9)/10 || cs.Upgraded != 0 || cs.Skipped != 0 {
			t.Errorf("%s stats = %+v, want %d pending and rekeyed in %d batches", c, cs, n, (n+9)/10)
		}
		for id, v := range e.values(t, c) {
			if h := head(t, v); h.V != 2 || h.KID != key2.ID || h.KVer != key2.Version || h.Tbl != c.Table || h.Col != c.Column || h.Row != id {
				t.Errorf("%s row %s after rekey: %+v", c, id, h)
			}
		}
		// Same plaintext, now readable with the new key alone, at its row.
		if got := e.opened(t, only2, c); !reflect.DeepEqual(got, plain[c.String()]) {
			t.Errorf("%s: plaintext changed by rekey", c)
		}
		if got := e.others(t, c); !reflect.DeepEqual(got, others[c.String()]) {
			t.Errorf("%s: rekey changed other columns (updated_at?)", c)
		}
		for _, want := range []string{fmt.Sprintf("%s: %d values not under local:2", c, n), fmt.Sprintf("%s: batch 1:", c)} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("progress lacks %q", want)
			}
		}
	}
	if !strings.Contains(out.String(), fmt.Sprintf("done: %d values", total())) {
		t.Errorf("progress lacks the total")
	}

	// The old key can now be dropped: the services read everything.
	svc, err := service.NewServices(zaptest.NewLogger(t), e.db, only2)
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.Users.List(ctxT(t), e.tenant, entityid.UserID{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	opened := 0
	for _, pu := range p.Items {
		priv, err := svc.Users.GetPrivate(ctxT(t), e.tenant, pu.ID)
		if err != nil {
			t.Fatalf("read after rekey without the old key: %v", err)
		}
		if priv.IdPUserInfo.IsSet() {
			opened++
		}
	}
	if opened != nUsers {
		t.Errorf("opened %d values, want %d", opened, nUsers)
	}

	// A second run finds nothing to do.
	st, err = newJob(t, e, kr).Rekey(ctxT(t), nil, 10)
	if err != nil || st.Rekeyed() != 0 {
		t.Fatalf("second run: %+v, %v", st, err)
	}
	for _, cs := range st.Columns {
		if cs.Pending != 0 || cs.Batches != 0 {
			t.Errorf("second run %s: %+v", cs.Column, cs)
		}
	}
}

// toV1 rewrites every value of every registered column as a version 1
// envelope under key1 (as releases before place binding stored it) and
// returns the plaintexts.
func (e *env) toV1(t *testing.T) map[string]map[string]string {
	t.Helper()
	old := keyring(t, key1, map[sensitive.KeyRef][32]byte{key1: material(1)})
	kp := localsecrets.NewKeeper(material(1))
	plain := map[string]map[string]string{}
	for _, c := range registry {
		plain[c.String()] = e.opened(t, old, c)
		for id, pt := range plain[c.String()] {
			v1, err := sensitivetest.SealV1(ctxT(t), kp, key1, json.RawMessage(pt))
			if err != nil {
				t.Fatal(err)
			}
			e.set(t, c, id, v1)
		}
	}
	return plain
}

func TestRekeyUpgradesVersion1(t *testing.T) {
	e := newEnv(t)
	plain := e.toV1(t)
	// Same current key: only the format needs the job.
	kr := keyring(t, key1, map[sensitive.KeyRef][32]byte{key1: material(1)})
	var out bytes.Buffer
	st, err := newJob(t, e, kr).Rekey(ctxT(t), &out, 4)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, c := range registry {
		n := sealedPer[c.String()]
		if cs := statsOf(t, st, c); cs.Pending != n || cs.Rekeyed != n || cs.Upgraded != n {
			t.Errorf("%s stats = %+v, want %d upgraded", c, cs, n)
		}
		for id, v := range e.values(t, c) {
			if h := head(t, v); h.V != 2 || h.Row != id || h.Tbl != c.Table || h.Col != c.Column {
				t.Errorf("%s row %s: %+v, want version 2 bound to the row", c, id, h)
			}
		}
		if got := e.opened(t, kr, c); !reflect.DeepEqual(got, plain[c.String()]) {
			t.Errorf("%s: plaintext changed by the upgrade", c)
		}
	}
	// Now bound: a copy into another row of the same column no longer opens.
	c := registry[0]
	vals := e.values(t, c)
	var ids []string
	for id := range vals {
		ids = append(ids, id)
	}
	e.set(t, c, ids[1], vals[ids[0]])
	var s sensitive.Sealed[json.RawMessage]
	_ = s.Scan(e.values(t, c)[ids[1]])
	if _, err := sensitive.OpenAt(ctxT(t), kr, sensitive.At(c.Table, c.Column, uuidOf(t, ids[1])), s); !errors.Is(err, sensitive.ErrMisplaced) {
		t.Fatalf("copy of an upgraded value: %v, want ErrMisplaced", err)
	}
}

// TestRekeyRefusesCopiedVersion1 is the attack of issue 11: many rows
// holding copies of one connector's version 1 state. Binding each copy to
// the row it sits in would make every copy valid; the job refuses.
func TestRekeyRefusesCopiedVersion1(t *testing.T) {
	e := newEnv(t)
	e.toV1(t)
	for _, c := range registry {
		vals := e.values(t, c)
		var ids []string
		for id := range vals {
			ids = append(ids, id)
		}
		for _, id := range ids[1:3] {
			e.set(t, c, id, vals[ids[0]])
		}
	}
	before := e.dump(t)
	var out bytes.Buffer
	_, err := newJob(t, e, keyring(t, key2, rotated)).Rekey(ctxT(t), &out, 10)
	var ce *rekey.CopiedValuesError
	if !errors.Is(err, rekey.ErrCopiedValues) || !errors.As(err, &ce) || ce.Groups != 1 || ce.Rows != 3 || len(ce.Sample) != 3 {
		t.Fatalf("err = %#v (%v), want a CopiedValuesError for 1 value in 3 rows", ce, err)
	}
	if !strings.Contains(err.Error(), "set those rows' values again") {
		t.Errorf("error does not say what to do: %v", err)
	}
	if !reflect.DeepEqual(e.dump(t), before) {
		t.Fatal("a refused run changed stored values")
	}
}

// TestRekeyStopsOnMisplacedValue: a version 2 value copied into another
// row is not re-bound there: the run stops naming the row.
func TestRekeyStopsOnMisplacedValue(t *testing.T) {
	for _, c := range registry {
		t.Run(c.String(), func(t *testing.T) {
			e := newEnv(t)
			vals := e.values(t, c)
			var ids []string
			for id := range vals {
				ids = append(ids, id)
			}
			e.set(t, c, ids[1], vals[ids[0]])
			before := e.values(t, c)
			_, err := newJob(t, e, keyring(t, key2, rotated)).Rekey(ctxT(t), nil, 1000)
			if !errors.Is(err, sensitive.ErrMisplaced) || !strings.Contains(err.Error(), ids[1]) {
				t.Fatalf("err = %v, want ErrMisplaced naming row %s", err, ids[1])
			}
			if !reflect.DeepEqual(e.values(t, c), before) {
				t.Fatal("the failed batch was written")
			}
		})
	}
}

// cancelAfter is a progress writer that cancels the run once it has seen n
// batch lines, like an operator pressing ^C mid-run.
type cancelAfter struct {
	mu      sync.Mutex
	n       int
	cancel  context.CancelFunc
	buf     bytes.Buffer
	batches int
}

func (w *cancelAfter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if bytes.Contains(p, []byte(": batch ")) {
		w.batches++
		if w.batches == w.n {
			w.cancel()
		}
	}
	return w.buf.Write(p)
}

// keyCounts counts stored values per "kid:kver" over every registered column.
func (e *env) keyCounts(t testing.TB) map[string]int {
	out := map[string]int{}
	for _, c := range registry {
		for _, v := range e.values(t, c) {
			h := head(t, v)
			out[fmt.Sprintf("%s:%d", h.KID, h.KVer)]++
		}
	}
	return out
}

func TestRekeyInterruptedThenResumed(t *testing.T) {
	e := newEnv(t)
	kr := keyring(t, key2, rotated)
	const batch = 3

	ctx, cancel := context.WithCancel(ctxT(t))
	w := &cancelAfter{n: 1, cancel: cancel}
	st, err := newJob(t, e, kr).Rekey(ctx, w, batch)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err = %v, want context.Canceled\n%s", err, w.buf.String())
	}
	if st.Rekeyed() != batch {
		t.Fatalf("interrupted run rekeyed %d, want exactly one batch (%d)", st.Rekeyed(), batch)
	}
	if got := e.keyCounts(t); got["local:2"] != batch || got["local:1"] != total()-batch {
		t.Fatalf("after interruption: %v, want %d under local:2", got, batch)
	}

	// Resume: the committed batch is not redone, the rest is finished.
	var out bytes.Buffer
	st, err = newJob(t, e, kr).Rekey(ctxT(t), &out, batch)
	if err != nil {
		t.Fatal(err)
	}
	first := statsOf(t, st, registry[0])
	if n := sealedPer[registry[0].String()]; first.Pending != n-batch || first.Rekeyed != n-batch {
		t.Errorf("resumed %s stats = %+v, want %d", registry[0], first, n-batch)
	}
	if st.Rekeyed() != total()-batch {
		t.Errorf("resumed run rekeyed %d, want %d", st.Rekeyed(), total()-batch)
	}
	if got := e.keyCounts(t); got["local:2"] != total() || got["local:1"] != 0 {
		t.Fatalf("after resume: %v", got)
	}
}

// racingConn writes a row's value through the services just before the
// job's first UPDATE of users, as a concurrent request would between the
// job's read and its write.
type racingConn struct {
	rekey.Conn
	once sync.Once
	race func()
}

func (r *racingConn) Query(ctx context.Context, q string, args, v any) error {
	if strings.HasPrefix(q, `UPDATE "users"`) {
		r.once.Do(r.race)
	}
	return r.Conn.Query(ctx, q, args, v)
}

func TestRekeyLeavesConcurrentWrites(t *testing.T) {
	e := newEnv(t)
	kr := keyring(t, key2, rotated)
	svc, err := service.NewServices(zaptest.NewLogger(t), e.db, kr)
	if err != nil {
		t.Fatal(err)
	}
	users, err := svc.Users.List(ctxT(t), e.tenant, entityid.UserID{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	victim := users.Items[0].ID
	conn := &racingConn{Conn: e.db.Driver(), race: func() {
		if err := svc.Users.SetIdPUserInfo(context.Background(), e.tenant, victim, &jsonb.IdPUserInfo{Subject: "written-concurrently"}); err != nil {
			t.Error(err)
		}
	}}
	j, err := rekey.New(zaptest.NewLogger(t), conn, kr, registry, entities)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	st, err := j.Rekey(ctxT(t), &out, 100)
	if err != nil {
		t.Fatal(err)
	}
	us := statsOf(t, st, usersColumn(t))
	if us.Skipped != 1 || us.Rekeyed != nUsers-1 {
		t.Fatalf("users stats = %+v, want 1 skipped (the concurrent write)\n%s", us, out.String())
	}
	if !strings.Contains(out.String(), "changed by another writer") {
		t.Errorf("progress does not report the skipped row:\n%s", out.String())
	}
	got, err := svc.Users.GetPrivate(ctxT(t), e.tenant, victim)
	if err != nil || got.IdPUserInfo.Reveal().Subject != "written-concurrently" {
		t.Fatalf("the concurrent write was clobbered: %+v, %v", got.IdPUserInfo.Reveal(), err)
	}
}

func TestRekeyWithBadKeysChangesNothing(t *testing.T) {
	tests := []struct {
		name string
		keys map[sensitive.KeyRef][32]byte
		want error
	}{
		{"old key has the wrong material", map[sensitive.KeyRef][32]byte{key1: material(7), key2: material(2)}, sensitive.ErrDecrypt},
		{"old key missing", map[sensitive.KeyRef][32]byte{key2: material(2)}, sensitive.ErrUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			before := e.dump(t)
			var out bytes.Buffer
			_, err := newJob(t, e, keyring(t, key2, tt.keys)).Rekey(ctxT(t), &out, 10)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if first := registry[0]; !strings.Contains(err.Error(), first.Table+" row ") || !strings.Contains(err.Error(), key1.String()) {
				t.Errorf("error %q should name the row and the key", err)
			}
			if !strings.Contains(out.String(), fmt.Sprintf("stopped after 0 of %d", sealedPer[registry[0].String()])) {
				t.Errorf("progress does not say where it stopped:\n%s", out.String())
			}
			if after := e.dump(t); !reflect.DeepEqual(after, before) {
				t.Fatal("a failed rekey changed stored values")
			}
		})
	}
}

func TestRekeyRejectsBadInput(t *testing.T) {
	e := newEnv(t)
	kr := keyring(t, key2, rotated)
	j := newJob(t, e, kr)
	for _, n := range []int{-1, rekey.MaxBatchSize + 1} {
		if _, err := j.Rekey(ctxT(t), nil, n); !errors.Is(err, rekey.ErrInvalidBatchSize) {
			t.Errorf("batch %d: err = %v, want ErrInvalidBatchSize", n, err)
		}
	}
	log, conn := zaptest.NewLogger(t), e.db.Driver()
	if _, err := rekey.New(nil, conn, kr, registry, entities); err == nil {
		t.Error("nil logger accepted")
	}
	if _, err := rekey.New(log, nil, kr, registry, entities); err == nil {
		t.Error("nil connection accepted")
	}
	if _, err := rekey.New(log, conn, nil, registry, entities); err == nil {
		t.Error("nil keyring accepted")
	}
	note := entmeta.SealedColumn{Entity: "Note", Table: "notes", Column: "body", IDColumn: "id"}
	tests := []struct {
		name     string
		cols     []entmeta.SealedColumn
		entities []entmeta.Entity
		want     string
	}{
		{"none", nil, entities, "none given"},
		{"duplicate", []entmeta.SealedColumn{registry[0], registry[0]}, entities, "listed twice"},
		{"no ID column", []entmeta.SealedColumn{{Entity: "User", Table: "users", Column: "idp_user_info"}}, entities, "required"},
		{"entity unknown", []entmeta.SealedColumn{note}, entities, "not among the entities"},
		{"no entities", registry, nil, "not among the entities"},
		{"entity of another table", []entmeta.SealedColumn{note}, []entmeta.Entity{{Name: "Note", Table: "users"}}, "not among the entities"},
		{"owned through its parent", []entmeta.SealedColumn{note}, []entmeta.Entity{{Name: "Note", Table: "notes", Tenancy: entmeta.TenantOwnedVia, Via: "user", Parent: "User"}}, "no tenant column"},
		{"tenant may be NULL", []entmeta.SealedColumn{note}, []entmeta.Entity{{Name: "Note", Table: "notes", Tenancy: entmeta.TenantOwned, TenantColumn: "tenant_id", TenantOptional: true}}, "may be NULL"},
		{"tenant column unnamed", []entmeta.SealedColumn{note}, []entmeta.Entity{{Name: "Note", Table: "notes", Tenancy: entmeta.TenantOwned}}, "may be NULL"},
		{"unknown tenancy", []entmeta.SealedColumn{note}, []entmeta.Entity{{Name: "Note", Table: "notes", Tenancy: 9}}, "unknown tenancy"},
	}
	for _, tt := range tests {
		if _, err := rekey.New(log, conn, kr, tt.cols, tt.entities); !errors.Is(err, rekey.ErrInvalidColumns) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want ErrInvalidColumns saying %q", tt.name, err, tt.want)
		}
	}
}

// TestRekeyQuotesIdentifiers: names from the registry are quoted, never
// spliced: a hostile name is a missing relation, not SQL.
func TestRekeyQuotesIdentifiers(t *testing.T) {
	e := newEnv(t)
	evil := entmeta.SealedColumn{Entity: "Evil", Table: `users" WHERE false; DROP TABLE users; --`, Column: "idp_user_info", IDColumn: "id"}
	for _, tenancy := range []entmeta.Entity{
		{Name: "Evil", Table: evil.Table},
		{Name: "Evil", Table: evil.Table, Tenancy: entmeta.TenantOwned, TenantColumn: `tenant_id" OR true; --`},
	} {
		t.Run(tenancy.Tenancy.String(), func(t *testing.T) {
			j, err := rekey.New(zaptest.NewLogger(t), e.db.Driver(), keyring(t, key2, rotated), []entmeta.SealedColumn{evil}, []entmeta.Entity{tenancy})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := j.Rekey(ctxT(t), nil, 0); err == nil || !strings.Contains(err.Error(), "does not exist") {
				t.Fatalf("err = %v, want a missing relation", err)
			}
			if len(e.values(t, registry[0])) == 0 {
				t.Fatal("users is gone")
			}
		})
	}
}
