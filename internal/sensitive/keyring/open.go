package keyring

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	vault "github.com/hashicorp/vault/api"
	"gocloud.dev/gcerrors"
	"gocloud.dev/secrets"
	"gocloud.dev/secrets/hashivault"
	"gocloud.dev/secrets/localsecrets"

	"github.com/central/central/internal/sensitive"
)

// SchemeVault is the URL scheme of HashiCorp Vault transit keys:
// hashivault://<key name>[?engine=<mount>] (engine defaults to "transit").
const SchemeVault = hashivault.Scheme

// Option configures [Open] and [NewLocal].
type Option func(*options) error

type options struct {
	mux     *secrets.URLMux
	builtin bool // mux is the built-in one: base64key:// keys open as localKeeper
	vault   *vault.Client
	keyring []sensitive.Option
}

// WithURLMux opens keeper URLs with mux instead of the built-in one (which
// knows base64key:// and hashivault://). Use it for cloud KMS: import the
// driver in main (e.g. _ "gocloud.dev/secrets/awskms") and pass
// secrets.DefaultURLMux(), or build a mux with the openers you want.
func WithURLMux(mux *secrets.URLMux) Option {
	return func(o *options) error {
		if mux == nil {
			return fmt.Errorf("%w: WithURLMux(nil)", ErrInvalidSpec)
		}
		o.mux = mux
		return nil
	}
}

// WithVaultClient sets the Vault client for hashivault:// keys. Without it
// the first hashivault:// key builds one from Vault's usual environment
// (VAULT_ADDR, VAULT_TOKEN, VAULT_CACERT, ...).
func WithVaultClient(c *vault.Client) Option {
	return func(o *options) error {
		if c == nil {
			return fmt.Errorf("%w: WithVaultClient(nil)", ErrInvalidSpec)
		}
		o.vault = c
		return nil
	}
}

// WithKeyringOptions passes options to sensitive.NewKeyring (e.g.
// sensitive.WithRandom in tests).
func WithKeyringOptions(opts ...sensitive.Option) Option {
	return func(o *options) error {
		o.keyring = append(o.keyring, opts...)
		return nil
	}
}

func buildOptions(opts []Option) (options, error) {
	var o options
	for _, opt := range opts {
		if opt == nil {
			return o, fmt.Errorf("%w: nil option", ErrInvalidSpec)
		}
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	if o.mux == nil {
		o.builtin = true
		o.mux = new(secrets.URLMux)
		o.mux.RegisterKeeper(SchemeLocal, &localsecrets.URLOpener{})
		o.mux.RegisterKeeper(SchemeVault, &vaultOpener{client: o.vault})
	}
	return o, nil
}

// Open opens a keeper for every key of spec and returns the keyring, which
// owns them (close it with Keyring.Close). Opening does not contact key
// services; call Keyring.Check for that.
func Open(ctx context.Context, spec Spec, opts ...Option) (*sensitive.Keyring, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	keepers := make(map[sensitive.KeyRef]sensitive.Keeper, len(spec.Keys))
	closeAll := func() {
		for _, k := range keepers {
			_ = k.(io.Closer).Close()
		}
	}
	for _, k := range spec.Keys {
		u, err := url.Parse(k.URL)
		if err != nil { // Validate parsed it already
			closeAll()
			return nil, fmt.Errorf("%w: key %q: keeper URL does not parse", ErrInvalidSpec, k.Ref.String())
		}
		if !o.mux.ValidKeeperScheme(u.Scheme) {
			closeAll()
			return nil, fmt.Errorf("%w: key %q: no keeper for scheme %q (available: %s); for a cloud KMS import its gocloud.dev/secrets driver and pass keyring.WithURLMux",
				ErrInvalidSpec, k.Ref.String(), u.Scheme, strings.Join(o.mux.KeeperSchemes(), ", "))
		}
		if o.builtin && u.Scheme == SchemeLocal {
			kp, err := openLocal(u)
			if err != nil {
				closeAll()
				return nil, fmt.Errorf("keyring: open key %q (%s): invalid local key", k.Ref.String(), redactURL(k.URL))
			}
			keepers[k.Ref] = kp
			continue
		}
		kp, err := o.mux.OpenKeeperURL(ctx, u)
		if err != nil {
			closeAll()
			if u.Scheme == SchemeLocal { // the error could quote the URL, which is the key
				return nil, fmt.Errorf("keyring: open key %q (%s): invalid local key", k.Ref.String(), redactURL(k.URL))
			}
			return nil, fmt.Errorf("keyring: open key %q (%s): %w", k.Ref.String(), redactURL(k.URL), err)
		}
		keepers[k.Ref] = Keeper{k: kp}
	}
	kr, err := sensitive.NewKeyring(spec.Current, keepers, o.keyring...)
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return kr, nil
}

// NewLocal returns a keyring holding one local key (32 bytes), current.
// It is meant for development and tests; production keys come from
// configuration through [Open].
func NewLocal(kid string, version int, key []byte, opts ...Option) (*sensitive.Keyring, error) {
	ref := sensitive.KeyRef{ID: kid, Version: version}
	if err := ref.Validate(); err != nil {
		return nil, fmt.Errorf("keyring: new local keyring: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("%w: local key %q is %d bytes, want 32 (e.g. from crypto/rand)", ErrInvalidSpec, ref.String(), len(key))
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	var sk [32]byte
	copy(sk[:], key)
	kp := NewLocalKeeper(sk)
	clear(sk[:])
	kr, err := sensitive.NewKeyring(ref, map[sensitive.KeyRef]sensitive.Keeper{ref: kp}, o.keyring...)
	if err != nil {
		return nil, fmt.Errorf("keyring: new local keyring: %w", err)
	}
	return kr, nil
}

// LocalKeyURL returns the base64key:// URL of a 32-byte key, for building a
// key configuration (e.g. a development key stored under .data/).
func LocalKeyURL(key []byte) (string, error) {
	if len(key) != 32 {
		return "", fmt.Errorf("%w: local key is %d bytes, want 32", ErrInvalidSpec, len(key))
	}
	return SchemeLocal + "://" + base64.URLEncoding.EncodeToString(key), nil
}

// Keeper adapts a gocloud.dev *secrets.Keeper to sensitive.Keeper: failures
// to reach the key service wrap sensitive.ErrKeeperUnavailable, so that
// sensitive.Open does not report them as a wrong key.
type Keeper struct{ k *secrets.Keeper }

// NewKeeper adapts k; use it to build a sensitive.Keyring by hand.
func NewKeeper(k *secrets.Keeper) (Keeper, error) {
	if k == nil {
		return Keeper{}, fmt.Errorf("%w: NewKeeper(nil)", ErrInvalidSpec)
	}
	return Keeper{k: k}, nil
}

// Encrypt wraps a data key.
func (a Keeper) Encrypt(ctx context.Context, plaintext []byte) (out []byte, err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", sensitive.ErrKeeperUnavailable, err)
	}
	defer recoverDriver("wrap", &err)
	out, err = a.k.Encrypt(ctx, plaintext)
	return out, classify(err)
}

// Decrypt unwraps a data key.
func (a Keeper) Decrypt(ctx context.Context, ciphertext []byte) (out []byte, err error) {
	if err := ctx.Err(); err != nil { // hashivault ignores ctx
		return nil, fmt.Errorf("%w: %w", sensitive.ErrKeeperUnavailable, err)
	}
	defer recoverDriver("unwrap", &err)
	out, err = a.k.Decrypt(ctx, ciphertext)
	return out, classify(err)
}

// recoverDriver turns a driver panic into an error. gocloud's hashivault
// driver type-asserts Vault's response without checking it, so a malformed
// answer (e.g. a proxy's 200 without data) would otherwise crash the caller.
func recoverDriver(op string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: keeper driver panicked during %s (malformed key service response?): %v", sensitive.ErrKeeperUnavailable, op, r)
	}
}

// Close closes the keeper.
func (a Keeper) Close() error { return a.k.Close() }

// classify marks errors that are about reaching or using the key service
// (not about the key or the envelope) with sensitive.ErrKeeperUnavailable.
func classify(err error) error {
	if err == nil {
		return nil
	}
	switch gcerrors.Code(err) {
	case gcerrors.Canceled, gcerrors.DeadlineExceeded, gcerrors.ResourceExhausted,
		gcerrors.PermissionDenied, gcerrors.Unimplemented, gcerrors.Internal:
		return fmt.Errorf("%w: %w", sensitive.ErrKeeperUnavailable, err)
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return fmt.Errorf("%w: %w", sensitive.ErrKeeperUnavailable, err)
	}
	var re *vault.ResponseError
	if errors.As(err, &re) && (re.StatusCode >= 500 || re.StatusCode == http.StatusUnauthorized ||
		re.StatusCode == http.StatusForbidden || re.StatusCode == http.StatusNotFound ||
		re.StatusCode == http.StatusTooManyRequests) {
		return fmt.Errorf("%w: %w", sensitive.ErrKeeperUnavailable, err)
	}
	return err
}

// vaultOpener opens hashivault:// URLs with a fresh hashivault.URLOpener per
// URL (gocloud's opener keeps the last URL's query options for the next one).
type vaultOpener struct {
	client *vault.Client
	once   sync.Once
	err    error
}

func (v *vaultOpener) OpenKeeperURL(ctx context.Context, u *url.URL) (*secrets.Keeper, error) {
	v.once.Do(func() {
		if v.client != nil {
			return
		}
		v.client, v.err = vault.NewClient(vault.DefaultConfig())
		if v.err != nil {
			v.err = fmt.Errorf("create Vault client from VAULT_* environment: %w", v.err)
		}
	})
	if v.err != nil {
		return nil, v.err
	}
	return (&hashivault.URLOpener{Client: v.client}).OpenKeeperURL(ctx, u)
}

// openLocal opens a base64key:// URL as gocloud's localsecrets.URLOpener
// does (no query parameters; the host is the key, URL-safe base64), as a
// localKeeper. An empty key never gets here (Spec.Validate refuses it).
func openLocal(u *url.URL) (localKeeper, error) {
	if len(u.Query()) > 0 || u.Host == "" {
		return localKeeper{}, errors.New("invalid local key URL")
	}
	sk, err := localsecrets.Base64Key(u.Host)
	if err != nil {
		return localKeeper{}, err
	}
	kp := NewLocalKeeper(sk).(localKeeper)
	clear(sk[:])
	return kp, nil
}
