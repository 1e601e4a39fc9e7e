package keyring_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"testing"

	"gocloud.dev/secrets/localsecrets"

	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/sensitive/keyring"
)

// TestLocalKeeperMatchesLocalsecrets: a base64key:// key opens data keys
// that gocloud's localsecrets wrapped (every value sealed before the
// keyring stopped going through gocloud for local keys) and wraps them so
// that localsecrets opens them; values sealed by either keyring open with
// the other. Deliberate bugs caught: the nonce appended after the box
// instead of in front; unwrapping under another key than the keeper's.
func TestLocalKeeperMatchesLocalsecrets(t *testing.T) {
	ctx := context.Background()
	var key, other [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		t.Fatal(err)
	}
	other = key
	other[0] ^= 1
	gc := localsecrets.NewKeeper(key)
	defer gc.Close()
	url, err := keyring.LocalKeyURL(key[:])
	if err != nil {
		t.Fatal(err)
	}
	ref := sensitive.KeyRef{ID: "local", Version: 1}
	spec, err := keyring.ParseSpec("local:1="+url, "")
	if err != nil {
		t.Fatal(err)
	}
	opened, err := keyring.Open(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	local := keyring.NewLocalKeeper(key)

	dek := bytes.Repeat([]byte{7}, 32)
	for name, pair := range map[string][2]sensitive.Keeper{"local→gocloud": {local, gc}, "gocloud→local": {gc, local}} {
		w, err := pair[0].Encrypt(ctx, dek)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pair[1].Decrypt(ctx, w)
		if err != nil || !bytes.Equal(got, dek) {
			t.Errorf("%s: %x, %v", name, got, err)
		}
	}
	if _, err := keyring.NewLocalKeeper(other).Decrypt(ctx, mustWrap(t, gc, dek)); err == nil || errors.Is(err, sensitive.ErrKeeperUnavailable) {
		t.Errorf("wrong key: %v, want a plain unwrap error", err)
	}
	tampered := mustWrap(t, local, dek)
	tampered[len(tampered)-1] ^= 1
	if _, err := local.Decrypt(ctx, tampered); err == nil {
		t.Error("tampered wrapped key opened")
	}
	if _, err := local.Decrypt(ctx, []byte("short")); err == nil {
		t.Error("short wrapped key opened")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := local.Encrypt(cancelled, dek); !errors.Is(err, sensitive.ErrKeeperUnavailable) {
		t.Errorf("cancelled: %v", err)
	}

	// Whole values, both ways: a keyring over gocloud's keeper and the
	// keyring Open builds from the URL.
	viaGocloud, err := sensitive.NewKeyring(ref, map[sensitive.KeyRef]sensitive.Keeper{ref: gc})
	if err != nil {
		t.Fatal(err)
	}
	at := sensitive.At("users", "idp_user_info", [16]byte{1})
	for name, pair := range map[string][2]*sensitive.Keyring{"open→gocloud": {opened, viaGocloud}, "gocloud→open": {viaGocloud, opened}} {
		s, err := sensitive.SealAt(ctx, pair[0], at, "secret")
		if err != nil {
			t.Fatal(err)
		}
		if v, err := sensitive.OpenAt(ctx, pair[1], at, s); err != nil || v != "secret" {
			t.Errorf("%s: %q, %v", name, v, err)
		}
	}
	if err := opened.Check(ctx); err != nil {
		t.Error(err)
	}
}

func mustWrap(t *testing.T, k sensitive.Keeper, dek []byte) []byte {
	t.Helper()
	w, err := k.Encrypt(context.Background(), dek)
	if err != nil {
		t.Fatal(err)
	}
	return w
}
