package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/service"
)

const (
	userSecret = "PLAINTEXT-USER-7f3a9c"
	connSecret = "PLAINTEXT-CONN-51d2e8"
)

type sealedFixture struct {
	tenant    entityid.TenantID
	user      entityid.UserID
	connector entityid.OIDCConnectorID
}

func createSealed(t *testing.T, e *env) sealedFixture {
	t.Helper()
	ctx := ctxT(t)
	tn, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "sealed", DisplayName: "Sealed"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.svc.Users.TxCreateUser(ctx, tn.ID, service.CreateUserInput{
		Email:       "s@sealed.example",
		IdPUserInfo: &jsonb.IdPUserInfo{Subject: userSecret, Issuer: "https://idp.example", Groups: []string{userSecret}},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.svc.Connectors.Create(ctx, tn.ID, service.CreateConnectorInput{
		Name: "okta", Issuer: "https://okta.example", ClientID: "cid",
		State: jsonb.OIDCConnectorState{ClientSecret: connSecret},
	})
	if err != nil {
		t.Fatal(err)
	}
	return sealedFixture{tenant: tn.ID, user: u.ID, connector: c.ID}
}

// rawSealed returns the stored JSONB text of a user's idp_user_info and a
// connector's state.
func (e *env) rawSealed(t testing.TB, f sealedFixture) (string, string) {
	t.Helper()
	var u, c string
	ctx := ctxT(t)
	if err := e.raw.QueryRowContext(ctx, "SELECT idp_user_info::text FROM users WHERE id = $1", f.user).Scan(&u); err != nil {
		t.Fatal(err)
	}
	if err := e.raw.QueryRowContext(ctx, "SELECT state::text FROM oidc_connectors WHERE id = $1", f.connector).Scan(&c); err != nil {
		t.Fatal(err)
	}
	return u, c
}

func envelopeKey(t testing.TB, raw string) sensitive.KeyRef {
	t.Helper()
	var env struct {
		KID  string `json:"kid"`
		KVer int    `json:"kver"`
	}
	if err := json.Unmarshal([]byte(raw), &env); err != nil {
		t.Fatalf("stored value is not a JSON envelope: %v", err)
	}
	return sensitive.KeyRef{ID: env.KID, Version: env.KVer}
}

func TestSensitiveAtRest(t *testing.T) {
	e := newEnv(t)
	f := createSealed(t, e)
	ctx := ctxT(t)

	rawUser, rawConn := e.rawSealed(t, f)
	for name, raw := range map[string]string{"users.idp_user_info": rawUser, "oidc_connectors.state": rawConn} {
		if strings.Contains(raw, userSecret) || strings.Contains(raw, connSecret) {
			t.Errorf("%s holds plaintext: %s", name, raw)
		}
		if k := envelopeKey(t, raw); k != key1 {
			t.Errorf("%s sealed under %v, want %v", name, k, key1)
		}
	}
	// Nowhere else either: whole rows and the audit trail.
	var all string
	err := e.raw.QueryRowContext(ctx, `SELECT concat(
		(SELECT string_agg(u::text, ',') FROM users u),
		(SELECT string_agg(c::text, ',') FROM oidc_connectors c),
		(SELECT string_agg(a::text, ',') FROM audit_events a))`).Scan(&all)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(all, userSecret) || strings.Contains(all, connSecret) {
		t.Fatalf("plaintext found in stored rows")
	}

	// Public views have no sensitive field; private views decrypt, and stay
	// redacted when printed.
	pub, err := e.svc.Users.Get(ctx, f.tenant, f.user)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := e.svc.Users.GetPrivate(ctx, f.tenant, f.user)
	if err != nil {
		t.Fatal(err)
	}
	if got := priv.IdPUserInfo.Reveal().Subject; got != userSecret {
		t.Fatalf("private subject = %q, want %q", got, userSecret)
	}
	cpub, err := e.svc.Connectors.Get(ctx, f.tenant, f.connector)
	if err != nil {
		t.Fatal(err)
	}
	cpriv, err := e.svc.Connectors.GetPrivate(ctx, f.tenant, f.connector)
	if err != nil {
		t.Fatal(err)
	}
	if got := cpriv.State.Reveal().ClientSecret; got != connSecret {
		t.Fatalf("private client secret = %q, want %q", got, connSecret)
	}
	for _, v := range []any{pub, priv, cpub, cpriv} {
		js, _ := json.Marshal(v)
		for _, s := range []string{fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v), string(js)} {
			if strings.Contains(s, userSecret) || strings.Contains(s, connSecret) {
				t.Errorf("%T prints plaintext: %s", v, s)
			}
		}
	}
}

func TestWrongOrMissingKey(t *testing.T) {
	e := newEnv(t)
	f := createSealed(t, e)
	before := e.snapshot(t)

	tests := []struct {
		name string
		kr   *sensitive.Keyring
		want error
	}{
		{"wrong key material", keyring(t, key1, map[sensitive.KeyRef][32]byte{key1: testKey(9)}), sensitive.ErrDecrypt},
		{"key missing from keyring", keyring(t, key2, map[sensitive.KeyRef][32]byte{key2: testKey(2)}), sensitive.ErrUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := ctxT(t)
			svc := newServices(t, e.db, tt.kr)
			_, err := svc.Users.GetPrivate(ctx, f.tenant, f.user)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Users.GetPrivate: err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), key1.String()) || !strings.Contains(err.Error(), f.user.String()) {
				t.Errorf("error %q should name the key %s and the user", err, key1)
			}
			if _, err := svc.Connectors.GetPrivate(ctx, f.tenant, f.connector); !errors.Is(err, tt.want) {
				t.Fatalf("Connectors.GetPrivate: err = %v, want %v", err, tt.want)
			}
			// Public reads need no key.
			if _, err := svc.Users.Get(ctx, f.tenant, f.user); err != nil {
				t.Fatalf("public read: %v", err)
			}
			if after := e.snapshot(t); after != before {
				t.Fatal("a failed decrypt changed the database")
			}
		})
	}
}

// failingKeeper cannot wrap data keys (a key service refusing to encrypt).
type failingKeeper struct{}

func (failingKeeper) Encrypt(context.Context, []byte) ([]byte, error) {
	return nil, errors.New("kms: permission denied")
}
func (failingKeeper) Decrypt(context.Context, []byte) ([]byte, error) {
	return nil, errors.New("kms: permission denied")
}

func TestSealFailureWritesNothing(t *testing.T) {
	e := newEnv(t)
	f := createSealed(t, e)
	kr, err := sensitive.NewKeyring(key2, map[sensitive.KeyRef]sensitive.Keeper{key2: failingKeeper{}})
	if err != nil {
		t.Fatal(err)
	}
	svc := newServices(t, e.db, kr)
	ctx := ctxT(t)
	before := e.snapshot(t)
	calls := map[string]func() error{
		"TxCreateUser": func() error {
			_, err := svc.Users.TxCreateUser(ctx, f.tenant, service.CreateUserInput{Email: "new@sealed.example", IdPUserInfo: &jsonb.IdPUserInfo{Subject: "x"}})
			return err
		},
		"SetIdPUserInfo": func() error {
			return svc.Users.SetIdPUserInfo(ctx, f.tenant, f.user, &jsonb.IdPUserInfo{Subject: "x"})
		},
		"Connectors.Create": func() error {
			_, err := svc.Connectors.Create(ctx, f.tenant, service.CreateConnectorInput{Name: "n2", Issuer: "https://x.example", ClientID: "c"})
			return err
		},
		"Connectors.SetState": func() error {
			return svc.Connectors.SetState(ctx, f.tenant, f.connector, jsonb.OIDCConnectorState{ClientSecret: "x"})
		},
	}
	for name, call := range calls {
		err := call()
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s: err = %v, want the keeper's error", name, err)
		}
	}
	if after := e.snapshot(t); after != before {
		t.Fatal("failed seals changed the database")
	}
}

// TestRotationReadsOldWritesNew: with a new current key, values sealed
// under the old key still open, and every write seals under the new one.
func TestRotationReadsOldWritesNew(t *testing.T) {
	e := newEnv(t)
	f := createSealed(t, e)
	rotated := keyring(t, key2, map[sensitive.KeyRef][32]byte{key1: testKey(1), key2: testKey(2)})
	svc := newServices(t, e.db, rotated)
	ctx := ctxT(t)

	got, err := svc.Users.GetPrivate(ctx, f.tenant, f.user)
	if err != nil {
		t.Fatalf("old value with rotated keyring: %v", err)
	}
	if got.IdPUserInfo.Reveal().Subject != userSecret {
		t.Fatalf("subject = %q", got.IdPUserInfo.Reveal().Subject)
	}
	if err := svc.Users.SetIdPUserInfo(ctx, f.tenant, f.user, &jsonb.IdPUserInfo{Subject: "rotated"}); err != nil {
		t.Fatal(err)
	}
	rawUser, rawConn := e.rawSealed(t, f)
	if k := envelopeKey(t, rawUser); k != key2 {
		t.Errorf("rewritten user value under %v, want %v", k, key2)
	}
	if k := envelopeKey(t, rawConn); k != key1 {
		t.Errorf("untouched connector under %v, want %v (until rekey)", k, key1)
	}
	// The old keyring cannot read the new value: it names a key it lacks.
	if _, err := e.svc.Users.GetPrivate(ctx, f.tenant, f.user); !errors.Is(err, sensitive.ErrUnknownKey) {
		t.Fatalf("old keyring on new value: err = %v, want ErrUnknownKey", err)
	}
	// Clearing stores NULL.
	if err := svc.Users.SetIdPUserInfo(ctx, f.tenant, f.user, nil); err != nil {
		t.Fatal(err)
	}
	got, err = svc.Users.GetPrivate(ctx, f.tenant, f.user)
	if err != nil || got.IdPUserInfo.IsSet() {
		t.Fatalf("after clear: %+v, %v", got, err)
	}
}

// TestSensitiveNotInLogs runs sealed writes and private reads with every
// log at debug level (the SQL log included) and searches the output.
func TestSensitiveNotInLogs(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	e := newEnvLogged(t, keyring(t, key1, map[sensitive.KeyRef][32]byte{key1: testKey(1)}), zap.New(core))
	f := createSealed(t, e)
	ctx := ctxT(t)
	priv, err := e.svc.Users.GetPrivate(ctx, f.tenant, f.user)
	if err != nil {
		t.Fatal(err)
	}
	cpriv, err := e.svc.Connectors.GetPrivate(ctx, f.tenant, f.connector)
	if err != nil {
		t.Fatal(err)
	}
	zap.New(core).Debug("views", zap.Any("user", priv), zap.Any("connector", cpriv))
	if err := e.svc.Connectors.SetState(ctx, f.tenant, f.connector, jsonb.OIDCConnectorState{ClientSecret: connSecret}); err != nil {
		t.Fatal(err)
	}
	sqlLines := 0
	for _, entry := range logs.All() {
		enc := zapcore.NewJSONEncoder(zap.NewDevelopmentEncoderConfig())
		buf, err := enc.EncodeEntry(entry.Entry, entry.Context)
		if err != nil {
			t.Fatal(err)
		}
		line := buf.String()
		if strings.Contains(line, "INSERT INTO") || strings.Contains(line, "UPDATE ") {
			sqlLines++
		}
		if strings.Contains(line, userSecret) || strings.Contains(line, connSecret) {
			t.Errorf("log line holds plaintext: %s", line)
		}
	}
	if sqlLines == 0 {
		t.Fatal("no SQL write was logged: the test would prove nothing")
	}
}

// TestPublicReadsSkipSealedColumns: public reads neither transfer nor parse
// the ciphertext; only private reads select the sealed columns.
func TestPublicReadsSkipSealedColumns(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	e := newEnvLogged(t, keyring(t, key1, map[sensitive.KeyRef][32]byte{key1: testKey(1)}), zap.New(core))
	f := createSealed(t, e)
	ctx := ctxT(t)
	name := "renamed"
	tests := []struct {
		name    string
		call    func() error
		private bool
	}{
		{"Users.Get", func() error { _, err := e.svc.Users.Get(ctx, f.tenant, f.user); return err }, false},
		{"Users.GetByEmail", func() error { _, err := e.svc.Users.GetByEmail(ctx, f.tenant, "s@sealed.example"); return err }, false},
		{"Users.List", func() error { _, err := e.svc.Users.List(ctx, f.tenant, entityid.UserID{}, 10); return err }, false},
		{"Users.Update", func() error {
			_, err := e.svc.Users.Update(ctx, f.tenant, f.user, service.UpdateUserInput{DisplayName: &name})
			return err
		}, false},
		{"Connectors.Get", func() error { _, err := e.svc.Connectors.Get(ctx, f.tenant, f.connector); return err }, false},
		{"Connectors.List", func() error {
			_, err := e.svc.Connectors.List(ctx, f.tenant, entityid.OIDCConnectorID{}, 10)
			return err
		}, false},
		{"Connectors.Update", func() error {
			_, err := e.svc.Connectors.Update(ctx, f.tenant, f.connector, service.UpdateConnectorInput{Name: &name})
			return err
		}, false},
		{"Users.GetPrivate", func() error { _, err := e.svc.Users.GetPrivate(ctx, f.tenant, f.user); return err }, true},
		{"Connectors.GetPrivate", func() error { _, err := e.svc.Connectors.GetPrivate(ctx, f.tenant, f.connector); return err }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.TakeAll()
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			selects, sealed := 0, 0
			for _, entry := range logs.TakeAll() {
				q, _ := entry.ContextMap()["query"].(string)
				if !strings.HasPrefix(q, "SELECT") {
					continue
				}
				selects++
				if strings.Contains(q, `"idp_user_info"`) || strings.Contains(q, `"state"`) {
					sealed++
				}
			}
			if selects == 0 {
				t.Fatal("no SELECT logged: the test would prove nothing")
			}
			if tt.private != (sealed > 0) {
				t.Fatalf("%d of %d SELECTs load a sealed column; want private=%v", sealed, selects, tt.private)
			}
		})
	}
}

// TestCopiedEnvelopeDoesNotOpen: the services seal each value for its row,
// so a sealed value copied into another row (same tenant, same column) is
// refused with ErrMisplaced instead of read as that row's secret.
func TestCopiedEnvelopeDoesNotOpen(t *testing.T) {
	e := newEnv(t)
	f := createSealed(t, e)
	ctx := ctxT(t)
	other, err := e.svc.Connectors.Create(ctx, f.tenant, service.CreateConnectorInput{
		Name: "other", Issuer: "https://other.example", ClientID: "cid2",
		State: jsonb.OIDCConnectorState{ClientSecret: "other-secret"},
	})
	if err != nil {
		t.Fatal(err)
	}
	u2, err := e.svc.Users.TxCreateUser(ctx, f.tenant, service.CreateUserInput{
		Email: "t@sealed.example", IdPUserInfo: &jsonb.IdPUserInfo{Subject: "other-subject"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.raw.ExecContext(ctx, `UPDATE oidc_connectors SET state = (SELECT state FROM oidc_connectors WHERE id = $1) WHERE id = $2`, f.connector, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.raw.ExecContext(ctx, `UPDATE users SET idp_user_info = (SELECT idp_user_info FROM users WHERE id = $1) WHERE id = $2`, f.user, u2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Connectors.GetPrivate(ctx, f.tenant, other.ID); !errors.Is(err, sensitive.ErrMisplaced) {
		t.Fatalf("connector with a copied state: err = %v, want ErrMisplaced", err)
	}
	if _, err := e.svc.Users.GetPrivate(ctx, f.tenant, u2.ID); !errors.Is(err, sensitive.ErrMisplaced) {
		t.Fatalf("user with a copied idp_user_info: err = %v, want ErrMisplaced", err)
	}
	// The originals still open where they were sealed.
	if c, err := e.svc.Connectors.GetPrivate(ctx, f.tenant, f.connector); err != nil || c.State.Reveal().ClientSecret != connSecret {
		t.Fatalf("original connector: %v", err)
	}
}
