package sensitive

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
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
// envelope whose kid, kver or version was edited fails to open even when the
// edited reference resolves to the same keeper. From version 2 it also binds
// the place (table, column, row ID): a copy in another row fails to open.
// Version 2 length-prefixes every variable field, so no two different
// (key, place) pairs share an encoding.
func additionalData(version int, ref KeyRef, at Place) []byte {
	if version == envelopeV1 {
		b := make([]byte, 0, 24+len(ref.ID))
		b = append(b, "sensitive.v1\x00"...)
		b = append(b, ref.ID...)
		b = append(b, 0)
		return strconv.AppendInt(b, int64(ref.Version), 10)
	}
	b := make([]byte, 0, 48+len(ref.ID)+len(at.Table)+len(at.Column))
	b = append(b, "sensitive.v2\x00"...)
	b = binary.AppendUvarint(b, uint64(len(ref.ID)))
	b = append(b, ref.ID...)
	b = binary.AppendUvarint(b, uint64(ref.Version))
	b = binary.AppendUvarint(b, uint64(len(at.Table)))
	b = append(b, at.Table...)
	b = binary.AppendUvarint(b, uint64(len(at.Column)))
	b = append(b, at.Column...)
	if at.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	return append(b, at.Row[:]...)
}

// Seal JSON-encodes v and encrypts it under a fresh random AES-256-GCM data
// key, which the keyring's current keeper wraps. The envelope is bound to no
// place: use [SealAt] for a value stored in a table column, so that a copy
// in another row does not open.
func Seal[T any](ctx context.Context, kr *Keyring, v T) (Sealed[T], error) {
	return seal(ctx, kr, Place{}, v)
}

// SealAt is [Seal] for the value of column at.Column of row at.Row in table
// at.Table: the envelope opens only with [OpenAt] at that same place. The
// row's ID must be known before sealing (IDs are generated in Go: set it on
// the create). An incomplete place fails with [ErrInvalidPlace].
func SealAt[T any](ctx context.Context, kr *Keyring, at Place, v T) (Sealed[T], error) {
	if err := at.Validate(); err != nil {
		return Sealed[T]{}, fmt.Errorf("seal %T: %w", v, err)
	}
	return seal(ctx, kr, at, v)
}

func seal[T any](ctx context.Context, kr *Keyring, at Place, v T) (Sealed[T], error) {
	if kr == nil {
		return Sealed[T]{}, fmt.Errorf("seal %T: nil keyring", v)
	}
	pt, err := json.Marshal(v)
	if err != nil {
		return Sealed[T]{}, fmt.Errorf("seal %T: encode JSON: %w", v, err)
	}
	env, err := kr.seal(ctx, at, pt)
	clear(pt)
	if err != nil {
		return Sealed[T]{}, fmt.Errorf("seal %T: %w", v, err)
	}
	return Sealed[T]{env: env}, nil
}

// Open decrypts s, sealed by [Seal] (no place), with the key its envelope
// names and decodes the T inside. Errors match [ErrNull], [ErrMalformed],
// [ErrUnknownKey] (*[UnknownKeyError]), [ErrDecrypt] (*[DecryptError]),
// [ErrMisplaced] (*[MisplacedError]: s was sealed for a place; use
// [OpenAt]) or [ErrKeeperUnavailable], except when the decrypted JSON does
// not decode into T (a value sealed as another type), which is a plain error
// naming the types; none holds plaintext.
func Open[T any](ctx context.Context, kr *Keyring, s Sealed[T]) (T, error) {
	return open(ctx, kr, Place{}, s)
}

// OpenAt is [Open] for a value read from place at: it opens only an
// envelope sealed by [SealAt] for that same table, column and row
// (otherwise [ErrMisplaced], or [ErrDecrypt] when the recorded place was
// edited), or a version 1 envelope, which predates places (`app db rekey`
// upgrades those). An incomplete place fails with [ErrInvalidPlace].
func OpenAt[T any](ctx context.Context, kr *Keyring, at Place, s Sealed[T]) (T, error) {
	if err := at.Validate(); err != nil {
		var zero T
		return zero, fmt.Errorf("open %T: %w", zero, err)
	}
	return open(ctx, kr, at, s)
}

func open[T any](ctx context.Context, kr *Keyring, at Place, s Sealed[T]) (T, error) {
	var v T
	pt, err := openBytes(ctx, kr, at, s)
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
// keyring's current one, or is a version 1 envelope (not bound to a place).
// NULL and malformed values do not need rekeying (there is nothing [Rekey]
// could do with them).
func NeedsRekey[T any](kr *Keyring, s Sealed[T]) bool {
	return s.env != nil && (s.env.key != kr.current || s.env.version < envelopeVersion)
}

// Rekey re-encrypts s (sealed by [Seal], no place) under the current key
// with a fresh data key if [NeedsRekey] says so, and reports whether it did.
// It never decodes the plaintext as T, so a job that only moves bytes can
// use Sealed[json.RawMessage] for any column. On error s is returned
// unchanged.
func Rekey[T any](ctx context.Context, kr *Keyring, s Sealed[T]) (Sealed[T], bool, error) {
	return rekey(ctx, kr, Place{}, s)
}

// RekeyAt is [Rekey] for the value stored at place at: it opens s as
// [OpenAt] does and seals the result for at as [SealAt] does, so a version 1
// envelope comes out as a version 2 envelope bound to at.
func RekeyAt[T any](ctx context.Context, kr *Keyring, at Place, s Sealed[T]) (Sealed[T], bool, error) {
	if err := at.Validate(); err != nil {
		return s, false, fmt.Errorf("rekey: %w", err)
	}
	return rekey(ctx, kr, at, s)
}

func rekey[T any](ctx context.Context, kr *Keyring, at Place, s Sealed[T]) (Sealed[T], bool, error) {
	if kr == nil {
		return s, false, errors.New("rekey: nil keyring")
	}
	if s.env != nil && s.env.version >= envelopeV2 && s.env.place != at {
		// Even when there is nothing to rekey: a copy is never re-bound.
		return s, false, fmt.Errorf("rekey: %w", &MisplacedError{Sealed: s.env.place, Read: at})
	}
	if s.bad == nil && !NeedsRekey(kr, s) {
		return s, false, nil
	}
	pt, err := openBytes(ctx, kr, at, s)
	if err != nil {
		return s, false, fmt.Errorf("rekey: %w", err)
	}
	env, err := kr.seal(ctx, at, pt)
	clear(pt)
	if err != nil {
		return s, false, fmt.Errorf("rekey from %q: %w", s.env.key.String(), err)
	}
	return Sealed[T]{env: env}, true, nil
}

func openBytes[T any](ctx context.Context, kr *Keyring, at Place, s Sealed[T]) ([]byte, error) {
	switch {
	case kr == nil:
		return nil, errors.New("sensitive: nil keyring")
	case s.bad != nil:
		return nil, s.bad
	case s.env == nil:
		return nil, ErrNull
	case s.env.version >= envelopeV2 && s.env.place != at:
		// Refused before any keeper call. The recorded place is only a
		// hint: the additional data below binds the place itself.
		return nil, &MisplacedError{Sealed: s.env.place, Read: at}
	}
	return kr.open(ctx, at, s.env)
}

func (k *Keyring) seal(ctx context.Context, at Place, pt []byte) (*envelope, error) {
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
	ct := aead.Seal(nil, nonce, pt, additionalData(envelopeVersion, ref, at))
	wdk, err := k.keepers[ref].Encrypt(ctx, dek)
	if err != nil {
		return nil, fmt.Errorf("wrap data key with %q: %w", ref.String(), err)
	}
	return &envelope{version: envelopeVersion, key: ref, place: at, wdk: wdk, nonce: append([]byte(nil), nonce...), ct: ct}, nil
}

// open decrypts env read from place at. For version 1 envelopes the place
// takes no part (they predate it).
func (k *Keyring) open(ctx context.Context, at Place, env *envelope) ([]byte, error) {
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
	pt, err := aead.Open(nil, env.nonce, env.ct, additionalData(env.version, env.key, at))
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
