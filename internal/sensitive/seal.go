package sensitive

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

const (
	dataKeySize = 32 // AES-256
	nonceSize   = 12 // GCM standard nonce
	tagSize     = 16
)

// additionalData binds the ciphertext to the envelope metadata, so that an
// envelope whose kid or kver was edited fails to open even when the edited
// reference resolves to the same keeper.
func additionalData(ref KeyRef) []byte {
	b := make([]byte, 0, 24+len(ref.ID))
	b = append(b, "sensitive.v1\x00"...)
	b = append(b, ref.ID...)
	b = append(b, 0)
	return strconv.AppendInt(b, int64(ref.Version), 10)
}

// Seal JSON-encodes v and encrypts it under a fresh random AES-256-GCM data
// key, which the keyring's current keeper wraps.
func Seal[T any](ctx context.Context, kr *Keyring, v T) (Sealed[T], error) {
	if kr == nil {
		return Sealed[T]{}, fmt.Errorf("seal %T: nil keyring", v)
	}
	pt, err := json.Marshal(v)
	if err != nil {
		return Sealed[T]{}, fmt.Errorf("seal %T: encode JSON: %w", v, err)
	}
	env, err := kr.seal(ctx, pt)
	clear(pt)
	if err != nil {
		return Sealed[T]{}, fmt.Errorf("seal %T: %w", v, err)
	}
	return Sealed[T]{env: env}, nil
}

// Open decrypts s with the key its envelope names and decodes the T inside.
// Errors match [ErrNull], [ErrMalformed], [ErrUnknownKey] (*[UnknownKeyError]),
// [ErrDecrypt] (*[DecryptError]) or [ErrKeeperUnavailable], except when the
// decrypted JSON does not decode into T (a value sealed as another type),
// which is a plain error naming the types; none holds plaintext.
func Open[T any](ctx context.Context, kr *Keyring, s Sealed[T]) (T, error) {
	var v T
	pt, err := openBytes(ctx, kr, s)
	if err != nil {
		return v, fmt.Errorf("open %T: %w", v, err)
	}
	defer clear(pt)
	if err := json.Unmarshal(pt, &v); err != nil {
		var zero T
		return zero, fmt.Errorf("open %T sealed with %q: %s", v, s.env.key.String(), describeDecodeError(err))
	}
	return v, nil
}

// NeedsRekey reports whether s is sealed under a key other than the
// keyring's current one. NULL and malformed values do not need rekeying
// (there is nothing [Rekey] could do with them).
func NeedsRekey[T any](kr *Keyring, s Sealed[T]) bool {
	return s.env != nil && s.env.key != kr.current
}

// Rekey re-encrypts s under the current key with a fresh data key if
// [NeedsRekey] says so, and reports whether it did. It never decodes the
// plaintext as T, so a job that only moves bytes can use
// Sealed[json.RawMessage] for any column. On error s is returned unchanged.
func Rekey[T any](ctx context.Context, kr *Keyring, s Sealed[T]) (Sealed[T], bool, error) {
	if kr == nil {
		return s, false, errors.New("rekey: nil keyring")
	}
	if s.bad == nil && !NeedsRekey(kr, s) {
		return s, false, nil
	}
	pt, err := openBytes(ctx, kr, s)
	if err != nil {
		return s, false, fmt.Errorf("rekey: %w", err)
	}
	env, err := kr.seal(ctx, pt)
	clear(pt)
	if err != nil {
		return s, false, fmt.Errorf("rekey from %q: %w", s.env.key.String(), err)
	}
	return Sealed[T]{env: env}, true, nil
}

func openBytes[T any](ctx context.Context, kr *Keyring, s Sealed[T]) ([]byte, error) {
	switch {
	case kr == nil:
		return nil, errors.New("sensitive: nil keyring")
	case s.bad != nil:
		return nil, s.bad
	case s.env == nil:
		return nil, ErrNull
	}
	return kr.open(ctx, s.env)
}

func (k *Keyring) seal(ctx context.Context, pt []byte) (*envelope, error) {
	ref := k.current
	var buf [dataKeySize + nonceSize]byte
	if _, err := io.ReadFull(k.rand, buf[:]); err != nil {
		return nil, fmt.Errorf("read random data key and nonce: %w", err)
	}
	defer clear(buf[:])
	dek, nonce := buf[:dataKeySize], buf[dataKeySize:]
	aead, err := newAEAD(dek)
	if err != nil {
		return nil, err
	}
	ct := aead.Seal(nil, nonce, pt, additionalData(ref))
	wdk, err := k.keepers[ref].Encrypt(ctx, dek)
	if err != nil {
		return nil, fmt.Errorf("wrap data key with %q: %w", ref.String(), err)
	}
	return &envelope{key: ref, wdk: wdk, nonce: append([]byte(nil), nonce...), ct: ct}, nil
}

func (k *Keyring) open(ctx context.Context, env *envelope) ([]byte, error) {
	kp, err := k.keeper(env.key)
	if err != nil {
		return nil, err
	}
	dek, err := kp.Decrypt(ctx, env.wdk)
	if err != nil {
		return nil, &DecryptError{Key: env.key, Op: "unwrap data key", Err: err}
	}
	defer clear(dek)
	if len(dek) != dataKeySize {
		return nil, &DecryptError{Key: env.key, Op: "unwrap data key", Err: fmt.Errorf("data key is %d bytes, want %d", len(dek), dataKeySize)}
	}
	aead, err := newAEAD(dek)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, env.nonce, env.ct, additionalData(env.key))
	if err != nil {
		return nil, &DecryptError{Key: env.key, Op: "decrypt value", Err: err}
	}
	return pt, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sensitive: AES cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sensitive: GCM: %w", err)
	}
	return aead, nil
}

// describeDecodeError summarises a JSON decode error without the input
// fragments encoding/json may quote (which would be plaintext).
func describeDecodeError(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return fmt.Sprintf("decode JSON: field %q does not fit Go type %s (value withheld)", te.Field, te.Type)
	case errors.As(err, &se):
		return fmt.Sprintf("decode JSON: syntax error at offset %d (details withheld)", se.Offset)
	}
	return "decode JSON: value does not fit the Go type (details withheld)"
}
