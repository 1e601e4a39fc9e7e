package keyring_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	vault "github.com/hashicorp/vault/api"
	"gocloud.dev/secrets"
	"gocloud.dev/secrets/localsecrets"

	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/sensitive/keyring"
)

type info struct {
	Subject string `json:"sub"`
	Groups  []string
}

var plain = info{Subject: "subject-PLAINTEXT", Groups: []string{"admins"}}

func mustParse(t *testing.T, keys, current string) keyring.Spec {
	t.Helper()
	spec, err := keyring.ParseSpec(keys, current)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func mustOpen(t *testing.T, spec keyring.Spec, opts ...keyring.Option) *sensitive.Keyring {
	t.Helper()
	kr, err := keyring.Open(context.Background(), spec, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kr.Close() })
	return kr
}

func TestOpenLocalKeysAndRotate(t *testing.T) {
	ctx := context.Background()
	k1, k2 := newKeyB64(t), newKeyB64(t)
	before := mustOpen(t, mustParse(t, "app:1=base64key://"+k1, ""))
	during := mustOpen(t, mustParse(t, "app:1=base64key://"+k1+",app:2=base64key://"+k2, "app:2"))

	if err := during.Check(ctx); err != nil {
		t.Fatal(err)
	}
	old, err := sensitive.Seal(ctx, before, plain)
	if err != nil {
		t.Fatal(err)
	}
	got, err := sensitive.Open(ctx, during, old)
	if err != nil || !reflect.DeepEqual(got, plain) {
		t.Fatalf("open old value: %v", err)
	}
	moved, changed, err := sensitive.Rekey(ctx, during, old)
	if err != nil || !changed || moved.Key() != ref("app", 2) {
		t.Fatalf("Rekey = %v %v %v", moved.Key(), changed, err)
	}

	// NewLocal with the same key bytes reads what the URL-configured key sealed.
	raw, _ := base64.URLEncoding.DecodeString(k2)
	local, err := keyring.NewLocal("app", 2, raw)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	if got, err := sensitive.Open(ctx, local, moved); err != nil || !reflect.DeepEqual(got, plain) {
		t.Fatalf("NewLocal opening a value sealed via URL: %v", err)
	}
	u, err := keyring.LocalKeyURL(raw)
	if err != nil || u != "base64key://"+k2 {
		t.Fatalf("LocalKeyURL = %q, %v", u, err)
	}

	// A wrong key behind the same reference is a clear ErrDecrypt.
	wrong := mustOpen(t, mustParse(t, "app:2=base64key://"+k1, ""))
	if _, err := sensitive.Open(ctx, wrong, moved); !errors.Is(err, sensitive.ErrDecrypt) || errors.Is(err, sensitive.ErrKeeperUnavailable) {
		t.Fatalf("wrong key: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	k1 := newKeyB64(t)
	ctx := context.Background()

	_, err := keyring.Open(ctx, mustParse(t, "kms:1=awskms://alias/central?region=eu-west-1", ""))
	if !errors.Is(err, keyring.ErrInvalidSpec) || !strings.Contains(err.Error(), `no keeper for scheme "awskms"`) ||
		!strings.Contains(err.Error(), "base64key, hashivault") || !strings.Contains(err.Error(), "WithURLMux") {
		t.Fatalf("unknown scheme: %v", err)
	}
	if _, err := keyring.Open(ctx, keyring.Spec{}); !errors.Is(err, keyring.ErrInvalidSpec) {
		t.Fatalf("empty spec: %v", err)
	}
	bad := keyring.Spec{Keys: []keyring.KeySpec{{Ref: ref("a", 1), URL: "base64key://" + k1[:10]}}, Current: ref("a", 1)}
	if _, err := keyring.Open(ctx, bad); !errors.Is(err, keyring.ErrInvalidSpec) || strings.Contains(err.Error(), k1[:10]) {
		t.Fatalf("unvalidated spec: %v", err)
	}
	if _, err := keyring.Open(ctx, mustParse(t, "a:1=base64key://"+k1, ""), keyring.WithURLMux(nil)); err == nil {
		t.Fatal("WithURLMux(nil) accepted")
	}
	if _, err := keyring.Open(ctx, mustParse(t, "a:1=base64key://"+k1, ""), nil); err == nil {
		t.Fatal("nil option accepted")
	}
	if _, err := keyring.NewLocal("a", 1, make([]byte, 16)); !errors.Is(err, keyring.ErrInvalidSpec) || !strings.Contains(err.Error(), "16 bytes, want 32") {
		t.Fatalf("short local key: %v", err)
	}
	if _, err := keyring.NewLocal("a b", 1, make([]byte, 32)); !errors.Is(err, sensitive.ErrInvalidKeyring) {
		t.Fatalf("bad kid: %v", err)
	}
	if _, err := keyring.LocalKeyURL(nil); err == nil {
		t.Fatal("LocalKeyURL(nil) accepted")
	}
	if _, err := keyring.NewKeeper(nil); err == nil {
		t.Fatal("NewKeeper(nil) accepted")
	}
}

func TestWithURLMux(t *testing.T) {
	// A custom scheme stands in for a cloud KMS driver the application links in.
	mux := new(secrets.URLMux)
	var sk [32]byte
	_, _ = rand.Read(sk[:])
	mux.RegisterKeeper("testkms", openerFunc(func(context.Context, string) (*secrets.Keeper, error) {
		return localsecrets.NewKeeper(sk), nil
	}))
	kr := mustOpen(t, mustParse(t, "cloud:1=testkms://projects/p/keys/k", ""), keyring.WithURLMux(mux))
	ctx := context.Background()
	s, err := sensitive.Seal(ctx, kr, plain)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := sensitive.Open(ctx, kr, s); err != nil || !reflect.DeepEqual(got, plain) {
		t.Fatalf("round trip: %v", err)
	}
	// The custom mux replaces the built-in one.
	if _, err := keyring.Open(ctx, mustParse(t, "a:1=base64key://"+newKeyB64(t), ""), keyring.WithURLMux(mux)); err == nil {
		t.Fatal("base64key opened through a mux without it")
	}
}

type openerFunc func(ctx context.Context, u string) (*secrets.Keeper, error)

func (f openerFunc) OpenKeeperURL(ctx context.Context, u *url.URL) (*secrets.Keeper, error) {
	return f(ctx, u.String())
}

// fakeVault is a minimal Vault transit engine: encrypt and decrypt under
// named keys, token checked, with switchable failures.
type fakeVault struct {
	token string
	mu    sync.Mutex
	keys  map[string]cipher.AEAD // by "engine/key"
	calls []string
	fail  int // HTTP status to answer with, 0 for none
}

func newFakeVault(t *testing.T) (*fakeVault, *httptest.Server) {
	fv := &fakeVault{token: "test-token", keys: map[string]cipher.AEAD{}}
	srv := httptest.NewServer(fv)
	t.Cleanup(srv.Close)
	return fv, srv
}

func (f *fakeVault) aead(name string) cipher.AEAD {
	if a, ok := f.keys[name]; ok {
		return a
	}
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	b, _ := aes.NewCipher(k)
	a, _ := cipher.NewGCM(b)
	f.keys[name] = a
	return a
}

func (f *fakeVault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	if f.fail == http.StatusOK { // a malformed success, which gocloud's hashivault driver does not check
		reply(http.StatusOK, map[string]any{"data": map[string]any{}})
		return
	}
	if f.fail != 0 {
		reply(f.fail, map[string]any{"errors": []string{"injected failure"}})
		return
	}
	if r.Header.Get("X-Vault-Token") != f.token {
		reply(http.StatusForbidden, map[string]any{"errors": []string{"permission denied"}})
		return
	}
	// /v1/<engine>/<op>/<key>
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/v1/"), "/")
	if len(parts) != 3 {
		reply(http.StatusNotFound, map[string]any{"errors": []string{"no handler"}})
		return
	}
	engine, op, key := parts[0], parts[1], parts[2]
	a := f.aead(engine + "/" + key)
	var body map[string]string
	_ = json.NewDecoder(r.Body).Decode(&body)
	switch op {
	case "encrypt":
		pt, _ := base64.StdEncoding.DecodeString(body["plaintext"])
		nonce := make([]byte, a.NonceSize())
		_, _ = rand.Read(nonce)
		ct := a.Seal(nonce, nonce, pt, nil)
		reply(http.StatusOK, map[string]any{"data": map[string]string{"ciphertext": "vault:v1:" + base64.StdEncoding.EncodeToString(ct)}})
	case "decrypt":
		ct, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(body["ciphertext"], "vault:v1:"))
		if len(ct) < a.NonceSize() {
			reply(http.StatusBadRequest, map[string]any{"errors": []string{"invalid ciphertext"}})
			return
		}
		pt, err := a.Open(nil, ct[:a.NonceSize()], ct[a.NonceSize():], nil)
		if err != nil {
			reply(http.StatusBadRequest, map[string]any{"errors": []string{"cipher: message authentication failed"}})
			return
		}
		reply(http.StatusOK, map[string]any{"data": map[string]string{"plaintext": base64.StdEncoding.EncodeToString(pt)}})
	default:
		reply(http.StatusNotFound, map[string]any{"errors": []string{"no handler"}})
	}
}

func vaultClient(t *testing.T, addr, token string) *vault.Client {
	t.Helper()
	cfg := vault.DefaultConfig()
	cfg.Address = addr
	cfg.MaxRetries = 0
	c, err := vault.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(token)
	return c
}

func TestVaultKeys(t *testing.T) {
	ctx := context.Background()
	fv, srv := newFakeVault(t)
	client := vaultClient(t, srv.URL, fv.token)
	spec := mustParse(t, "v:1=hashivault://central-1?engine=kv-transit, v:2=hashivault://central-2", "v:2")
	kr := mustOpen(t, spec, keyring.WithVaultClient(client))

	if err := kr.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}
	s, err := sensitive.Seal(ctx, kr, plain)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := sensitive.Open(ctx, kr, s); err != nil || !reflect.DeepEqual(got, plain) {
		t.Fatalf("round trip: %v", err)
	}
	// The engine option of one URL does not leak into the next.
	calls := strings.Join(fv.calls, "\n")
	for _, want := range []string{"/v1/kv-transit/encrypt/central-1", "/v1/transit/encrypt/central-2", "/v1/transit/decrypt/central-2"} {
		if !strings.Contains(calls, want) {
			t.Errorf("Vault saw no %s in:\n%s", want, calls)
		}
	}
	if strings.Contains(calls, "kv-transit/encrypt/central-2") {
		t.Errorf("engine option leaked to the next key:\n%s", calls)
	}

	// Wrong Vault key behind v:2: a 400 from Vault is a wrong key.
	wrong := mustOpen(t, mustParse(t, "v:2=hashivault://another-key", ""), keyring.WithVaultClient(client))
	if _, err := sensitive.Open(ctx, wrong, s); !errors.Is(err, sensitive.ErrDecrypt) {
		t.Fatalf("wrong Vault key: %v", err)
	}

	// Vault failing, refusing the token, or gone: unavailable, not a wrong key.
	for _, tc := range []struct {
		name  string
		setup func() *sensitive.Keyring
	}{
		{name: "500", setup: func() *sensitive.Keyring { fv.fail = http.StatusServiceUnavailable; return kr }},
		{name: "404 (wrong mount)", setup: func() *sensitive.Keyring { fv.fail = http.StatusNotFound; return kr }},
		{name: "200 without data", setup: func() *sensitive.Keyring { fv.fail = http.StatusOK; return kr }},
		{name: "403", setup: func() *sensitive.Keyring {
			fv.fail = 0
			return mustOpen(t, spec, keyring.WithVaultClient(vaultClient(t, srv.URL, "bad-token")))
		}},
		{name: "unreachable", setup: func() *sensitive.Keyring {
			dead := httptest.NewServer(http.NotFoundHandler())
			dead.Close()
			return mustOpen(t, spec, keyring.WithVaultClient(vaultClient(t, dead.URL, fv.token)))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := tc.setup()
			_, err := sensitive.Open(ctx, k, s)
			if tc.name == "200 without data" && !strings.Contains(fmt.Sprint(err), "panicked") {
				t.Fatalf("Open = %v; want the driver panic reported", err)
			}
			if !errors.Is(err, sensitive.ErrKeeperUnavailable) || errors.Is(err, sensitive.ErrDecrypt) {
				t.Fatalf("Open = %v; want ErrKeeperUnavailable, not ErrDecrypt", err)
			}
			if err := k.Check(ctx); err == nil {
				t.Fatal("Check passed against a failing Vault")
			}
		})
	}
	fv.fail = 0

	// A cancelled context stops before calling Vault.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := sensitive.Open(cctx, kr, s); !errors.Is(err, context.Canceled) || errors.Is(err, sensitive.ErrDecrypt) {
		t.Fatalf("cancelled Open: %v", err)
	}
}
