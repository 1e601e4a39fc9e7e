package sensitive

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
)

// KeyRef names one key: a key id and a version. Its text form is "kid:version",
// e.g. "local-2026:3".
type KeyRef struct {
	ID      string
	Version int
}

// String returns "kid:version".
func (r KeyRef) String() string { return r.ID + ":" + strconv.Itoa(r.Version) }

// MaxKeyIDLen is the longest key id accepted.
const MaxKeyIDLen = 64

// Validate reports whether r is a usable key reference: an id of 1 to 64
// characters from [A-Za-z0-9._-] and a version from 1 to 2^31-1.
func (r KeyRef) Validate() error {
	if r.ID == "" {
		return fmt.Errorf("%w: empty key id", ErrInvalidKeyring)
	}
	if len(r.ID) > MaxKeyIDLen {
		return fmt.Errorf("%w: key id %.16q... is longer than %d characters", ErrInvalidKeyring, r.ID, MaxKeyIDLen)
	}
	for _, c := range r.ID {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%w: key id %q: character %q not allowed; use letters, digits, '.', '_' and '-'", ErrInvalidKeyring, r.ID, c)
		}
	}
	if r.Version < 1 || r.Version > 1<<31-1 {
		return fmt.Errorf("%w: key %q: version %d out of range; use a positive integer", ErrInvalidKeyring, r.ID, r.Version)
	}
	return nil
}

// ParseKeyRef parses "kid:version", e.g. "local-2026:3".
func ParseKeyRef(s string) (KeyRef, error) {
	id, ver, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return KeyRef{}, fmt.Errorf("%w: key reference %q: want kid:version, e.g. local-2026:1", ErrInvalidKeyring, s)
	}
	n, err := strconv.Atoi(ver)
	if err != nil {
		return KeyRef{}, fmt.Errorf("%w: key reference %q: version %q is not an integer; want kid:version, e.g. local-2026:1", ErrInvalidKeyring, s, ver)
	}
	r := KeyRef{ID: id, Version: n}
	if err := r.Validate(); err != nil {
		return KeyRef{}, err
	}
	return r, nil
}

// Keeper wraps and unwraps data keys. A *secrets.Keeper from
// gocloud.dev/secrets satisfies it (see internal/sensitive/keyring, which opens
// keepers from URLs). A keeper that implements io.Closer is closed by
// [Keyring.Close].
type Keeper interface {
	Encrypt(ctx context.Context, plaintext []byte) ([]byte, error)
	Decrypt(ctx context.Context, ciphertext []byte) ([]byte, error)
}

// Keyring holds keepers by key id and version. Values are sealed under the
// current key and opened with whichever key their envelope names. A Keyring
// is immutable and safe for concurrent use.
type Keyring struct {
	keepers map[KeyRef]Keeper
	current KeyRef
	rand    io.Reader
}

// Option configures a [Keyring].
type Option func(*options) error

type options struct {
	rand io.Reader
}

// WithRandom sets the source of data keys and nonces (default crypto/rand).
// Tests may pass a failing or deterministic reader; production code should
// not set it.
func WithRandom(r io.Reader) Option {
	return func(o *options) error {
		if r == nil {
			return fmt.Errorf("%w: WithRandom(nil): pass a reader such as crypto/rand.Reader", ErrInvalidKeyring)
		}
		o.rand = r
		return nil
	}
}

// NewKeyring returns a keyring that seals under current and opens with any
// of keepers. The keyring owns the keepers: [Keyring.Close] closes those
// that implement io.Closer.
func NewKeyring(current KeyRef, keepers map[KeyRef]Keeper, opts ...Option) (*Keyring, error) {
	o := options{rand: rand.Reader}
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("%w: nil option", ErrInvalidKeyring)
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if len(keepers) == 0 {
		return nil, fmt.Errorf("%w: no keys; configure at least one (the current key)", ErrInvalidKeyring)
	}
	m := make(map[KeyRef]Keeper, len(keepers))
	for ref, k := range keepers {
		if err := ref.Validate(); err != nil {
			return nil, err
		}
		if k == nil {
			return nil, fmt.Errorf("%w: key %q has a nil keeper", ErrInvalidKeyring, ref.String())
		}
		m[ref] = k
	}
	if _, ok := m[current]; !ok {
		kr := &Keyring{keepers: m}
		return nil, fmt.Errorf("%w: current key %q is not among the configured keys (%s); add it or pick one of those",
			ErrInvalidKeyring, current.String(), kr.keyList())
	}
	return &Keyring{keepers: m, current: current, rand: o.rand}, nil
}

// Current returns the key new values are sealed under.
func (k *Keyring) Current() KeyRef { return k.current }

// Keys returns every configured key, sorted by id then version.
func (k *Keyring) Keys() []KeyRef {
	refs := make([]KeyRef, 0, len(k.keepers))
	for r := range k.keepers {
		refs = append(refs, r)
	}
	slices.SortFunc(refs, func(a, b KeyRef) int {
		return cmp.Or(strings.Compare(a.ID, b.ID), cmp.Compare(a.Version, b.Version))
	})
	return refs
}

// Has reports whether the keyring holds ref.
func (k *Keyring) Has(ref KeyRef) bool {
	_, ok := k.keepers[ref]
	return ok
}

func (k *Keyring) keyList() string {
	refs := k.Keys()
	s := make([]string, len(refs))
	for i, r := range refs {
		s[i] = r.String()
	}
	return strings.Join(s, ", ")
}

// Check round-trips a random probe through every keeper, so that a
// misconfigured or unreachable key service fails at start-up rather than at
// the first read. It reports every failing key.
func (k *Keyring) Check(ctx context.Context) error {
	probe := make([]byte, 32)
	if _, err := io.ReadFull(k.rand, probe); err != nil {
		return fmt.Errorf("sensitive: check keyring: read random probe: %w", err)
	}
	var errs []error
	for _, ref := range k.Keys() {
		kp := k.keepers[ref]
		wrapped, err := kp.Encrypt(ctx, probe)
		if err != nil {
			errs = append(errs, fmt.Errorf("sensitive: check key %q: wrap probe: %w", ref.String(), err))
			continue
		}
		got, err := kp.Decrypt(ctx, wrapped)
		if err != nil {
			errs = append(errs, fmt.Errorf("sensitive: check key %q: unwrap probe: %w", ref.String(), err))
			continue
		}
		if string(got) != string(probe) {
			errs = append(errs, fmt.Errorf("sensitive: check key %q: keeper returned a different probe than it was given", ref.String()))
		}
	}
	return errors.Join(errs...)
}

// Close closes every keeper that implements io.Closer.
func (k *Keyring) Close() error {
	var errs []error
	for _, ref := range k.Keys() {
		if c, ok := k.keepers[ref].(io.Closer); ok {
			if err := c.Close(); err != nil {
				errs = append(errs, fmt.Errorf("sensitive: close keeper %q: %w", ref.String(), err))
			}
		}
	}
	return errors.Join(errs...)
}

func (k *Keyring) keeper(ref KeyRef) (Keeper, error) {
	kp, ok := k.keepers[ref]
	if !ok {
		return nil, &UnknownKeyError{Key: ref, Configured: k.Keys()}
	}
	return kp, nil
}

// isUnavailable reports whether a keeper error is about reaching the key
// service rather than about the key or the envelope.
func isUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var ne net.Error
	return errors.Is(err, ErrKeeperUnavailable) || errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne)
}
