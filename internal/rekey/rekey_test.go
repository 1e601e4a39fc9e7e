package rekey_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"gocloud.dev/secrets/localsecrets"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/rekey"
	"github.com/central/central/internal/sensitive"
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

type env struct {
	db     *db.DB
	tdb    *dbtest.DB
	tenant entityid.TenantID
}

// newEnv fills a database with users and connectors sealed under key1.
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
	return &env{db: d, tdb: tdb, tenant: tn.ID}
}

// keyCounts counts stored values per "kid:kver" (and "null").
func (e *env) keyCounts(t testing.TB) map[string]int {
	t.Helper()
	rows, err := e.tdb.OpenAdminDB(t).QueryContext(ctxT(t), `
		SELECT coalesce((v->>'kid') || ':' || (v->>'kver'), 'null'), count(*) FROM (
			SELECT idp_user_info AS v FROM users UNION ALL SELECT state FROM oidc_connectors) s
		GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	return out
}

// dump returns every sealed value and updated_at, to prove nothing changed.
func (e *env) dump(t testing.TB) string {
	t.Helper()
	var s string
	err := e.tdb.OpenAdminDB(t).QueryRowContext(ctxT(t), `SELECT concat(
		(SELECT string_agg(coalesce(idp_user_info::text, 'null') || updated_at::text, ',' ORDER BY id) FROM users),
		(SELECT string_agg(state::text || updated_at::text, ',' ORDER BY id) FROM oidc_connectors))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newJob(t testing.TB, e *env, kr *sensitive.Keyring) *rekey.Job {
	t.Helper()
	j, err := rekey.New(zaptest.NewLogger(t), e.db, kr)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

var rotated = map[sensitive.KeyRef][32]byte{key1: material(1), key2: material(2)}

func TestRekeyMovesEveryValue(t *testing.T) {
	e := newEnv(t)
	var updatedBefore string
	raw := e.tdb.OpenAdminDB(t)
	if err := raw.QueryRowContext(ctxT(t), "SELECT string_agg(updated_at::text, ',' ORDER BY id) FROM users").Scan(&updatedBefore); err != nil {
		t.Fatal(err)
	}
	kr := keyring(t, key2, rotated)
	var out bytes.Buffer
	st, err := newJob(t, e, kr).Rekey(ctxT(t), &out, 10)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	t.Logf("progress:\n%s", out.String())
	if len(st.Columns) != 2 {
		t.Fatalf("stats columns = %+v", st.Columns)
	}
	u, c := st.Columns[0], st.Columns[1]
	if u.Pending != nUsers || u.Rekeyed != nUsers || u.Batches != 3 {
		t.Errorf("users stats = %+v, want %d pending and rekeyed in 3 batches", u, nUsers)
	}
	if c.Pending != nConnectors || c.Rekeyed != nConnectors || c.Batches != 1 {
		t.Errorf("connectors stats = %+v", c)
	}
	if st.Rekeyed() != nUsers+nConnectors || st.Current != key2 {
		t.Errorf("stats = %+v", st)
	}
	if got := e.keyCounts(t); got["local:2"] != nUsers+nConnectors || got["local:1"] != 0 || got["null"] != nNullUsers {
		t.Errorf("stored keys after rekey = %v", got)
	}
	var updatedAfter string
	if err := raw.QueryRowContext(ctxT(t), "SELECT string_agg(updated_at::text, ',' ORDER BY id) FROM users").Scan(&updatedAfter); err != nil {
		t.Fatal(err)
	}
	if updatedAfter != updatedBefore {
		t.Error("rekey changed users.updated_at")
	}
	for _, want := range []string{"users.idp_user_info: 25 values not under local:2", "batch 3: 5 re-encrypted, 25 of 25 done", "oidc_connectors.state: batch 1", "done: 30 values"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("progress lacks %q", want)
		}
	}

	// The old key can now be dropped: a keyring with key2 only reads everything.
	svc, err := service.NewServices(zaptest.NewLogger(t), e.db, keyring(t, key2, map[sensitive.KeyRef][32]byte{key2: material(2)}))
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
	if err != nil || st.Rekeyed() != 0 || st.Columns[0].Pending != 0 {
		t.Fatalf("second run: %+v, %v", st, err)
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

func TestRekeyInterruptedThenResumed(t *testing.T) {
	e := newEnv(t)
	kr := keyring(t, key2, rotated)
	const batch = 10

	ctx, cancel := context.WithCancel(ctxT(t))
	w := &cancelAfter{n: 1, cancel: cancel}
	st, err := newJob(t, e, kr).Rekey(ctx, w, batch)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err = %v, want context.Canceled\n%s", err, w.buf.String())
	}
	if st.Rekeyed() != batch {
		t.Fatalf("interrupted run rekeyed %d, want exactly one batch (%d)", st.Rekeyed(), batch)
	}
	if got := e.keyCounts(t); got["local:2"] != batch || got["local:1"] != nUsers+nConnectors-batch {
		t.Fatalf("after interruption: %v, want %d under local:2", got, batch)
	}

	// Resume: the committed batch is not redone, the rest is finished.
	var out bytes.Buffer
	st, err = newJob(t, e, kr).Rekey(ctxT(t), &out, batch)
	if err != nil {
		t.Fatal(err)
	}
	if st.Columns[0].Pending != nUsers-batch || st.Columns[0].Rekeyed != nUsers-batch {
		t.Errorf("resumed users stats = %+v, want %d", st.Columns[0], nUsers-batch)
	}
	if st.Rekeyed() != nUsers+nConnectors-batch {
		t.Errorf("resumed run rekeyed %d, want %d", st.Rekeyed(), nUsers+nConnectors-batch)
	}
	if got := e.keyCounts(t); got["local:2"] != nUsers+nConnectors || got["local:1"] != 0 {
		t.Fatalf("after resume: %v", got)
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
			if !strings.Contains(err.Error(), "users user-") || !strings.Contains(err.Error(), key1.String()) {
				t.Errorf("error %q should name the row and the key", err)
			}
			if !strings.Contains(out.String(), "stopped after 0 of 25") {
				t.Errorf("progress does not say where it stopped:\n%s", out.String())
			}
			if after := e.dump(t); after != before {
				t.Fatal("a failed rekey changed stored values")
			}
		})
	}
}

func TestRekeyRejectsBadInput(t *testing.T) {
	e := newEnv(t)
	j := newJob(t, e, keyring(t, key2, rotated))
	for _, n := range []int{-1, rekey.MaxBatchSize + 1} {
		if _, err := j.Rekey(ctxT(t), nil, n); !errors.Is(err, rekey.ErrInvalidBatchSize) {
			t.Errorf("batch %d: err = %v, want ErrInvalidBatchSize", n, err)
		}
	}
	if _, err := rekey.New(nil, e.db, keyring(t, key2, rotated)); err == nil {
		t.Error("nil logger accepted")
	}
	if _, err := rekey.New(zaptest.NewLogger(t), nil, keyring(t, key2, rotated)); err == nil {
		t.Error("nil store accepted")
	}
	if _, err := rekey.New(zaptest.NewLogger(t), e.db, nil); err == nil {
		t.Error("nil keyring accepted")
	}
}
