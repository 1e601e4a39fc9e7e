package config

import (
	"net/url"
)

// redactedMark replaces secrets wherever a Secret is printed or marshaled.
const redactedMark = "[REDACTED]"

// Secret is a string that never prints itself: String, GoString, MarshalText
// and zap all show "[REDACTED]" (or "" when empty). Call Reveal to use it.
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether the secret is non-empty.
func (s Secret) IsSet() bool { return s != "" }

// String implements fmt.Stringer with the value redacted.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redactedMark
}

// GoString implements fmt.GoStringer with the value redacted (%#v).
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// MarshalText implements encoding.TextMarshaler (JSON, YAML) with the value redacted.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// RedactedLogValue is what the SQL log shows for a Secret passed as an argument.
func (s Secret) RedactedLogValue() string { return s.String() }

// RedactURL returns a connection URL with its password replaced by
// "[REDACTED]". A string that does not parse as a URL is redacted entirely,
// since it may hold a password in an unknown place.
func RedactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.Scheme == "" {
		return redactedMark
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "REDACTED")
	}
	q := u.Query()
	changed := false
	for _, k := range []string{"password", "sslpassword"} {
		if q.Has(k) {
			q.Set(k, "REDACTED")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}
