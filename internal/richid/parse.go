package richid

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// ErrInvalid is matched (with errors.Is) by every error that reports text or bytes that are not a valid ID:
// from [Parse], [ParseUUID], [FromBytes], UnmarshalText and Scan.
var ErrInvalid = errors.New("richid: invalid ID")

// ErrInvalidPrefix is matched by every error from [ValidatePrefix].
var ErrInvalidPrefix = errors.New("richid: invalid prefix")

// ParseError describes text that is not a valid ID of the expected kind. It unwraps to [ErrInvalid].
type ParseError struct {
	Input    string // the text as given, in full
	Expected string // the prefix of the kind that was expected, e.g. "tenant"
	Reason   string // what is wrong, e.g. `prefix is "user", want "tenant"`
}

// Error quotes the input, truncated to 64 bytes when longer.
func (e *ParseError) Error() string {
	return "richid: invalid " + e.Expected + " ID " + quoteTrunc(e.Input) + ": " + e.Reason
}

// Unwrap returns [ErrInvalid].
func (e *ParseError) Unwrap() error { return ErrInvalid }

func newParseError[K Kind](input, reason string) *ParseError {
	var k K
	return &ParseError{Input: input, Expected: k.Prefix(), Reason: reason}
}

// maxQuoted is how many bytes of a bad input an error message quotes before cutting it with "…".
const maxQuoted = 64

// quoteTrunc quotes s, cutting it to maxQuoted bytes (on a rune boundary) plus "…" when longer.
func quoteTrunc(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > maxQuoted-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut] + "…")
}

// quoteChar quotes the first character of s as a rune ('é'), or as a byte ('\xd2') when s does not start with
// valid UTF-8.
func quoteChar(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf("'\\x%02x'", s[0])
	}
	return strconv.QuoteRune(r)
}

// Parse parses the rich form "<prefix>-<26 Crockford base32 characters>" of an ID of kind K.
//
// The prefix must match K's exactly (case-sensitive). The base32 part may be in any case; the aliases that
// Crockford's spec allows decoders to map (I and L to 1, O to 0) are rejected, as oklog/ulid does, so that each
// ID has exactly one accepted spelling up to case. The first base32 character must be '0'..'7', since 26
// characters carry 130 bits and a ULID has 128. Every failure is a [*ParseError] matching [ErrInvalid].
func Parse[K Kind](s string) (ID[K], error) {
	var k K
	var id ID[K]
	if parseRich(&id.u, s, k.Prefix()) {
		return id, nil
	}
	return ID[K]{}, parseFailure[K](s)
}

// MustParse is like [Parse] but panics on failure. It is meant for tests and examples with constant input.
func MustParse[K Kind](s string) ID[K] {
	id, err := Parse[K](s)
	if err != nil {
		panic(err)
	}
	return id
}

// MarshalText returns the rich form, as [ID.String] does.
func (id ID[K]) MarshalText() ([]byte, error) { return id.rich(), nil }

// AppendText appends the rich form to b.
func (id ID[K]) AppendText(b []byte) ([]byte, error) { return id.appendRich(b), nil }

// UnmarshalText parses the rich form as [Parse] does. On failure id is left unchanged.
func (id *ID[K]) UnmarshalText(text []byte) error {
	// The unsafe view is only read during the call; on failure the error gets a copy.
	var k K
	if parseRich(&id.u, unsafe.String(unsafe.SliceData(text), len(text)), k.Prefix()) {
		return nil
	}
	return parseFailure[K](string(text))
}

// parseFailure explains why s is not a valid rich ID of kind K.
func parseFailure[K Kind](s string) *ParseError {
	var k K
	p := k.Prefix()
	want := strconv.Quote(p+"-") + " followed by 26 Crockford base32 characters"
	if s == "" {
		return newParseError[K](s, "empty; want "+want)
	}
	sep := strings.LastIndexByte(s, '-') // the base32 alphabet has no '-', so the last one is the separator
	if sep < 0 {
		return newParseError[K](s, `no "-" between prefix and ULID; want `+want)
	}
	if _, r := parseUUID(s); r == "" {
		return newParseError[K](s, "this is a UUID, not a rich ID; want "+want)
	}
	if got := s[:sep]; got != p {
		return newParseError[K](s, "prefix is "+quoteTrunc(got)+", want "+strconv.Quote(p))
	}
	b32 := s[sep+1:]
	if len(b32) != 26 {
		return newParseError[K](s, fmt.Sprintf("ULID part is %d bytes long, want 26 Crockford base32 characters", len(b32)))
	}
	for i := 0; i < len(b32); i++ {
		if decTable[b32[i]] == invalid {
			return newParseError[K](s, fmt.Sprintf(
				"character %s at offset %d is not Crockford base32 (0-9 and A-Z except I, L, O, U; either case)",
				quoteChar(b32[i:]), sep+1+i))
		}
	}
	if b32[0] > '7' {
		return newParseError[K](s, fmt.Sprintf(
			"first ULID character %q is above '7', so the value overflows 128 bits", b32[0]))
	}
	// parseRich accepts everything that passes the checks above, so this is not reached.
	return newParseError[K](s, "not a valid rich ID; want "+want)
}

// maxPrefix is the longest prefix ValidatePrefix accepts.
const maxPrefix = 32

// ValidatePrefix reports whether p can be a [Kind]'s prefix: 1 to 32 characters from a-z, 0-9 and '_', starting
// with a letter and not ending with '_'. Code generators call it so that a bad prefix fails at build time. Errors
// match [ErrInvalidPrefix].
func ValidatePrefix(p string) error {
	bad := func(why string) error { return fmt.Errorf("%w %s: %s", ErrInvalidPrefix, quoteTrunc(p), why) }
	switch {
	case p == "":
		return bad("empty")
	case len(p) > maxPrefix:
		return bad(fmt.Sprintf("%d bytes long, at most %d allowed", len(p), maxPrefix))
	case p[0] < 'a' || p[0] > 'z':
		return bad("must start with a lowercase letter a-z")
	case p[len(p)-1] == '_':
		return bad(`must not end with "_"`)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return bad(fmt.Sprintf("character %s at offset %d is not one of a-z, 0-9, _", quoteChar(p[i:]), i))
		}
	}
	return nil
}

func reasonRawLength(n int) string {
	return fmt.Sprintf("%d bytes, want exactly 16", n)
}

func reasonUUIDLength(n int) string {
	return fmt.Sprintf("UUID text is %d bytes long, want 36 (8-4-4-4-12 hex digits)", n)
}

func reasonUUIDChar(c byte, off int) string {
	return fmt.Sprintf("byte %q at offset %d does not fit the UUID form 8-4-4-4-12 hex digits", c, off)
}
