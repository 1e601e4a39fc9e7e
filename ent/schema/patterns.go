package schema

import (
	"errors"
	"regexp"

	"github.com/central/central/internal/jsonb"
)

// Go-side mirrors of the CHECK constraints, so ent rejects bad values with a
// readable error before a round trip. Keep each in step with its CHECK
// (the tag key's CHECK is built from the same jsonb.TagKeyPattern).
var (
	tagKeyPattern = regexp.MustCompile(jsonb.TagKeyPattern)
	emailPattern  = regexp.MustCompile(`^[^@\s]+@[^@\s]+$`)
	issuerPattern = regexp.MustCompile(`^https?://`)
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
