package jsonb

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// UserProfile is a user's non-sensitive, queryable profile: stored in the
// users.profile JSONB column (never NULL; {} when empty) under a GIN index
// (jsonb_path_ops), so containment filters (profile @> '{"locale":"fr-FR"}')
// find users across a large table without a scan. It must never hold
// secrets or personal data that needs sealing: use the sealed documents
// for those.
//
// Empty fields are omitted, so the stored document holds only what is set
// and containment on one field ignores the others.
type UserProfile struct {
	// Locale is a BCP 47 language tag, e.g. "en-GB".
	Locale string `json:"locale,omitempty"`
	// TimeZone is an IANA time zone name, e.g. "Europe/Paris".
	TimeZone string `json:"time_zone,omitempty"`
	// Title is the user's job title, free text.
	Title string `json:"title,omitempty"`
	// Attributes are free-form string attributes, key → value, e.g.
	// {"team": "compilers"}.
	Attributes map[string]string `json:"attributes,omitempty"`
}

// IsZero reports whether nothing is set.
func (p UserProfile) IsZero() bool {
	return p.Locale == "" && p.TimeZone == "" && p.Title == "" && len(p.Attributes) == 0
}

// Limits of a UserProfile; Validate enforces them, so a profile (or a
// filter built from one) is bounded whatever a client sends.
const (
	MaxProfileTitleLen     = 200 // characters
	MaxProfileAttributes   = 32
	MaxProfileAttributeLen = 256 // characters of a value
)

// TagKeyPattern is the one rule for keys: user tag keys (ent/schema's Go
// validator and the key_format CHECK are both built from it) and profile
// attribute keys, so keys read alike everywhere. It is written so Go's
// regexp and PostgreSQL's ~ read it the same way.
const TagKeyPattern = `^[a-z0-9][a-z0-9_.:-]{0,63}$`

// TagKeyHint says TagKeyPattern in words, for error messages.
const TagKeyHint = "use 1 to 64 of a-z 0-9 _ . : - starting with a letter or digit"

var (
	localePattern   = regexp.MustCompile(`^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,4}$`)
	timeZonePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+-]{0,30}(?:/[A-Za-z0-9][A-Za-z0-9_+-]{0,30}){0,2}$`)
	tagKeyPattern   = regexp.MustCompile(TagKeyPattern)
)

// ValidTagKey reports whether k follows TagKeyPattern.
func ValidTagKey(k string) bool { return tagKeyPattern.MatchString(k) }

// ProfileError says which field of a profile (or profile filter) is wrong
// and why.
type ProfileError struct {
	Field  string // "locale", "time_zone", "title", "attributes" or "attributes.<key>"
	Reason string
}

func (e *ProfileError) Error() string { return "profile " + e.Field + ": " + e.Reason }

// Validate checks every set field: locale a BCP 47-shaped tag, time zone an
// IANA-shaped name, title and attribute values bounded UTF-8 text without
// control characters (PostgreSQL's jsonb refuses NUL), at most
// MaxProfileAttributes attributes with keys like tag keys and non-empty
// values. The first problem is returned as a *ProfileError.
func (p UserProfile) Validate() error {
	if p.Locale != "" && (len(p.Locale) > 35 || !localePattern.MatchString(p.Locale)) {
		return &ProfileError{"locale", fmt.Sprintf("%q is not a language tag such as en or en-GB", clip(p.Locale))}
	}
	if p.TimeZone != "" && !timeZonePattern.MatchString(p.TimeZone) {
		return &ProfileError{"time_zone", fmt.Sprintf("%q is not a time zone name such as UTC or Europe/Paris", clip(p.TimeZone))}
	}
	if err := checkText("title", p.Title, MaxProfileTitleLen); err != nil {
		return err
	}
	if len(p.Attributes) > MaxProfileAttributes {
		return &ProfileError{"attributes", fmt.Sprintf("%d attributes, at most %d allowed", len(p.Attributes), MaxProfileAttributes)}
	}
	keys := make([]string, 0, len(p.Attributes))
	for k := range p.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys) // report the same problem first every time
	for _, k := range keys {
		if !ValidTagKey(k) {
			return &ProfileError{"attributes", fmt.Sprintf("key %q: %s", clip(k), TagKeyHint)}
		}
		v := p.Attributes[k]
		if v == "" {
			return &ProfileError{"attributes." + k, "empty value: remove the attribute instead"}
		}
		if err := checkText("attributes."+k, v, MaxProfileAttributeLen); err != nil {
			return err
		}
	}
	return nil
}

func checkText(field, s string, maxLen int) error {
	switch {
	case !utf8.ValidString(s):
		return &ProfileError{field, "not valid UTF-8"}
	case utf8.RuneCountInString(s) > maxLen:
		return &ProfileError{field, fmt.Sprintf("%d characters, at most %d allowed", utf8.RuneCountInString(s), maxLen)}
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return &ProfileError{field, "contains a control character (e.g. NUL or a newline)"}
	}
	return nil
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
