package keyring

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/nacl/secretbox"

	"github.com/central/central/internal/sensitive"
)

// localKeeper is a base64key:// key without gocloud's wrapper. It wraps data
// keys exactly as gocloud's localsecrets does (NaCl secretbox under the
// 32-byte key, a random 24-byte nonce in front), so either opens what the
// other wrapped (TestLocalKeeperMatchesLocalsecrets). gocloud's
// *secrets.Keeper records an OpenTelemetry span and metrics around every
// call, which for a key held in memory cost as much as the cryptography
// itself: about a third of `app db rekey`'s Go CPU, which calls the keeper
// twice per row.
type localKeeper struct {
	key *[32]byte
}

const localNonceSize = 24

// NewLocalKeeper returns the keeper of a local key (as base64key:// opens
// it), for building a sensitive.Keyring by hand.
func NewLocalKeeper(key [32]byte) sensitive.Keeper {
	k := new([32]byte)
	*k = key
	return localKeeper{key: k}
}

// Encrypt wraps a data key.
func (k localKeeper) Encrypt(ctx context.Context, plaintext []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", sensitive.ErrKeeperUnavailable, err)
	}
	var nonce [localNonceSize]byte
	if _, err := io.ReadFull(rand.Reader, nonce[:]); err != nil {
		return nil, err
	}
	out := make([]byte, localNonceSize, localNonceSize+len(plaintext)+secretbox.Overhead)
	copy(out, nonce[:])
	return secretbox.Seal(out, plaintext, &nonce, k.key), nil
}

// Decrypt unwraps a data key.
func (k localKeeper) Decrypt(ctx context.Context, ciphertext []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", sensitive.ErrKeeperUnavailable, err)
	}
	if len(ciphertext) < localNonceSize {
		return nil, fmt.Errorf("local key: wrapped data key is %d bytes, shorter than the %d-byte nonce", len(ciphertext), localNonceSize)
	}
	var nonce [localNonceSize]byte
	copy(nonce[:], ciphertext[:localNonceSize])
	out, ok := secretbox.Open(nil, ciphertext[localNonceSize:], &nonce, k.key)
	if !ok {
		return nil, errors.New("local key: unwrap failed (another key, or a tampered value)")
	}
	return out, nil
}

// Close forgets the key.
func (k localKeeper) Close() error {
	clear(k.key[:])
	return nil
}
