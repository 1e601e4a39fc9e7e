package replica

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrInvalidToken is returned (wrapped) by [ParseToken] and [Token.UnmarshalText]
// for every string that is not a token.
var ErrInvalidToken = errors.New("replica: invalid token")

// Token is a read-your-writes token: a PostgreSQL WAL position (pg_lsn) that a
// read must observe. The zero Token means "no requirement".
type Token uint64

// IsZero reports whether t carries no requirement.
func (t Token) IsZero() bool { return t == 0 }

// String formats t like PostgreSQL formats a pg_lsn ("16/B374D848"): upper-case
// hexadecimal high and low 32 bits separated by a slash. The result is safe in
// HTTP headers and query strings and is accepted by [ParseToken].
func (t Token) String() string {
	return fmt.Sprintf("%X/%X", uint64(t)>>32, uint64(t)&0xFFFFFFFF)
}

// MarshalText implements encoding.TextMarshaler with the [Token.String] form.
func (t Token) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; it accepts what [ParseToken] accepts.
func (t *Token) UnmarshalText(b []byte) error {
	v, err := ParseToken(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// ParseToken parses a token in PostgreSQL's pg_lsn form "X/Y", where X and Y
// are 1 to 8 hexadecimal digits (either case). "0/0" is the zero Token. Any
// other input, including the empty string, returns an error wrapping
// [ErrInvalidToken] that quotes the input.
func ParseToken(s string) (Token, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok {
		return 0, invalidToken(s, "want two hexadecimal numbers separated by a slash, like 16/B374D848")
	}
	h, err := parseHex32(hi)
	if err != nil {
		return 0, invalidToken(s, "the part before the slash "+err.Error())
	}
	l, err := parseHex32(lo)
	if err != nil {
		return 0, invalidToken(s, "the part after the slash "+err.Error())
	}
	return Token(h<<32 | l), nil
}

func parseHex32(s string) (uint64, error) {
	if s == "" || len(s) > 8 {
		return 0, errors.New("must have 1 to 8 hexadecimal digits")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return 0, fmt.Errorf("has %q, which is not a hexadecimal digit", c)
		}
	}
	return strconv.ParseUint(s, 16, 32)
}

func invalidToken(s, why string) error {
	const maxShown = 64
	shown := s
	if len(shown) > maxShown {
		shown = shown[:maxShown] + "..."
	}
	return fmt.Errorf("%w %q: %s", ErrInvalidToken, shown, why)
}
