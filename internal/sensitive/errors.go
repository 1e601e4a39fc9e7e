package sensitive

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrDecrypt matches every failure to decrypt an envelope with the key it
	// names: a wrong key behind that key id and version, or an envelope whose
	// wrapped key, nonce, ciphertext or metadata was altered. Returned by
	// [Open] and [Rekey] (as a *[DecryptError]). The message never holds
	// plaintext.
	ErrDecrypt = errors.New("sensitive: decrypt failed: wrong key or tampered envelope")

	// ErrUnknownKey matches an envelope that names a key id and version the
	// keyring does not hold (as an *[UnknownKeyError]).
	ErrUnknownKey = errors.New("sensitive: key not in keyring")

	// ErrMalformed matches a stored value that is not a valid envelope
	// (returned by [Open], [Rekey], [Sealed.Value] and [Sealed.UnmarshalJSON]).
	ErrMalformed = errors.New("sensitive: malformed envelope")

	// ErrNull is returned by [Open] and [Rekey] for the zero [Sealed] (SQL NULL):
	// there is nothing to decrypt. Check [Sealed.IsZero] for optional columns.
	ErrNull = errors.New("sensitive: no sealed value (NULL)")

	// ErrKeeperUnavailable matches keeper failures that say nothing about the
	// key or the envelope: network errors and cancelled contexts (detected
	// here), and what [Keeper] adapters mark with it (permission, quota,
	// server errors, a missing mount). [Open] does not report them as
	// [ErrDecrypt]; retrying later may succeed.
	ErrKeeperUnavailable = errors.New("sensitive: key service unavailable")

	// ErrInvalidKeyring is wrapped by every keyring construction error
	// ([NewKeyring], [ParseKeyRef]).
	ErrInvalidKeyring = errors.New("sensitive: invalid keyring")
)

// UnknownKeyError reports an envelope sealed under a key the keyring lacks.
type UnknownKeyError struct {
	Key        KeyRef   // the key id and version the envelope names
	Configured []KeyRef // what the keyring holds
}

func (e *UnknownKeyError) Error() string {
	have := make([]string, len(e.Configured))
	for i, k := range e.Configured {
		have[i] = k.String()
	}
	return fmt.Sprintf("sensitive: value is sealed with key %q, which is not in the keyring (configured: %s); "+
		"add %s=<keeper URL> to SENSITIVE_KEYS (keep old keys configured until `db rekey` has moved every value to the current key)",
		e.Key.String(), strings.Join(have, ", "), e.Key.String())
}

// Unwrap returns [ErrUnknownKey].
func (e *UnknownKeyError) Unwrap() error { return ErrUnknownKey }

// DecryptError reports a failed decryption under a configured key. It matches
// [ErrDecrypt] unless the keeper was unavailable (then it matches
// [ErrKeeperUnavailable] instead). Err is the keeper's or the cipher's error,
// which never holds plaintext.
type DecryptError struct {
	Key KeyRef // the key id and version the envelope names
	Op  string // "unwrap data key" or "decrypt value"
	Err error
}

func (e *DecryptError) Error() string {
	if e.unavailable() {
		return fmt.Sprintf("sensitive: %s with key %q: %v", e.Op, e.Key.String(), e.Err)
	}
	if e.Err == nil {
		return fmt.Sprintf("sensitive: %s with key %q: wrong key or tampered envelope", e.Op, e.Key.String())
	}
	return fmt.Sprintf("sensitive: %s with key %q: wrong key or tampered envelope: %v", e.Op, e.Key.String(), e.Err)
}

// Is matches [ErrDecrypt] for a key or envelope problem, and
// [ErrKeeperUnavailable] when the keeper could not be reached (network error,
// cancelled context, or an error the keeper marked so).
func (e *DecryptError) Is(target error) bool {
	switch target {
	case ErrDecrypt:
		return !e.unavailable()
	case ErrKeeperUnavailable:
		return e.unavailable()
	}
	return false
}

// Unwrap returns the underlying keeper or cipher error.
func (e *DecryptError) Unwrap() error { return e.Err }

func (e *DecryptError) unavailable() bool { return isUnavailable(e.Err) }
