package schema

import (
	"errors"
	"regexp"

	"github.com/central/central/internal/jsonb"
)

// The patterns of the format CHECK constraints. Each is written once: the
// CHECK's text is built from it, and ent checks it in Go too, so a bad
// value gets a readable error before a round trip.
const (
	emailRegexp  = `^[^@\s]+@[^@\s]+$`
	issuerRegexp = `^https?://`
)

var (
	tagKeyPattern = regexp.MustCompile(jsonb.TagKeyPattern)
	emailPattern  = regexp.MustCompile(emailRegexp)
	issuerPattern = regexp.MustCompile(issuerRegexp)
)

// slugRegexp is the slug_format CHECK's pattern. Go checks it with
// slugFormat, by hand: a regexp match was a fifth of ent's CPU on a tenant
// create (TestSlugFormatMatchesPattern holds the two to the same strings).
const slugRegexp = `^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$`

// slugFormat mirrors slugRegexp: 3 to 63 bytes of lowercase ASCII letters,
// digits and hyphens, starting and ending with a letter or digit.
func slugFormat(s string) error {
	ok := len(s) >= 3 && len(s) <= 63 && s[0] != '-' && s[len(s)-1] != '-'
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-'
	}
	if !ok {
		return errors.New("schema: slug must be 3–63 lowercase letters, digits and hyphens, starting and ending with a letter or digit")
	}
	return nil
}
