package keyring

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"github.com/central/central/internal/sensitive"
)

// ErrInvalidSpec is wrapped by every [ParseSpec] and [Spec.Validate] error.
// The messages never hold key material.
var ErrInvalidSpec = errors.New("keyring: invalid key configuration")

// SchemeLocal is the URL scheme of local keys: base64key://<32 bytes, URL-safe base64>.
const SchemeLocal = "base64key"

// Spec is a parsed key configuration: keeper URLs by key reference and the
// current key. URLs may hold key material (base64key://): String, GoString
// and LogValue redact it.
type Spec struct {
	Keys    []KeySpec
	Current sensitive.KeyRef
}

// KeySpec is one configured key.
type KeySpec struct {
	Ref sensitive.KeyRef
	URL string // keeper URL; for base64key:// it is the key itself
}

// ParseSpec parses the two configuration strings (see the package doc):
//
//	keys:    "local-2026:1=base64key://<key>,local-2026:2=base64key://<key>"
//	current: "local-2026:2" (may be empty when exactly one key is configured)
//
// Entries are separated by commas and/or white space (newlines included).
func ParseSpec(keys, current string) (Spec, error) {
	var s Spec
	entries := strings.FieldsFunc(keys, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
	if len(entries) == 0 {
		return Spec{}, fmt.Errorf("%w: no keys configured; set SENSITIVE_KEYS to kid:version=URL entries, "+
			"e.g. local-2026:1=base64key://<32 random bytes in URL-safe base64>", ErrInvalidSpec)
	}
	for i, e := range entries {
		refText, u, ok := strings.Cut(e, "=")
		// A key's base64 padding holds '=' too: never echo what may be a URL.
		if !ok || strings.ContainsAny(refText, "/?@") || len(refText) > sensitive.MaxKeyIDLen+12 {
			return Spec{}, fmt.Errorf("%w: entry %d (%s): want kid:version=URL", ErrInvalidSpec, i+1, redactEntry(e))
		}
		ref, err := sensitive.ParseKeyRef(refText)
		if err != nil {
			// ParseKeyRef quotes its input, which here may be a pasted key
			// (a bare base64 key's padding holds the '=', "prod:1:<key>"
			// has none): describe the problem without the text.
			return Spec{}, fmt.Errorf("%w: entry %d: the part before '=' %s; want kid:version like local-2026:1 "+
				"(value withheld; it may hold key material); each entry is kid:version=URL, e.g. prod:1=base64key://<key>", ErrInvalidSpec, i+1, refProblem(refText))
		}
		for _, k := range s.Keys {
			if k.Ref == ref {
				return Spec{}, fmt.Errorf("%w: key %q configured twice; give each key version one URL", ErrInvalidSpec, ref.String())
			}
		}
		s.Keys = append(s.Keys, KeySpec{Ref: ref, URL: u})
	}
	if strings.TrimSpace(current) != "" {
		ref, err := sensitive.ParseKeyRef(current)
		if err != nil {
			return Spec{}, fmt.Errorf("%w: current key (SENSITIVE_CURRENT_KEY) is not a key reference kid:version like local-2026:1 "+
				"(value withheld; it may hold key material)", ErrInvalidSpec)
		}
		s.Current = ref
	} else if len(s.Keys) == 1 {
		s.Current = s.Keys[0].Ref
	} else {
		return Spec{}, fmt.Errorf("%w: %d keys configured but no current key; set SENSITIVE_CURRENT_KEY to the kid:version new values are sealed under (one of %s)",
			ErrInvalidSpec, len(s.Keys), s.refList())
	}
	if err := s.Validate(); err != nil {
		return Spec{}, err
	}
	return s, nil
}

// Validate checks the key references, the URLs (scheme present; a base64key
// URL must hold exactly 32 bytes), duplicates, and that the current key is
// configured.
func (s Spec) Validate() error {
	if len(s.Keys) == 0 {
		return fmt.Errorf("%w: no keys configured", ErrInvalidSpec)
	}
	seen := make(map[sensitive.KeyRef]bool, len(s.Keys))
	for _, k := range s.Keys {
		if err := k.Ref.Validate(); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidSpec, err)
		}
		if seen[k.Ref] {
			return fmt.Errorf("%w: key %q configured twice; give each key version one URL", ErrInvalidSpec, k.Ref.String())
		}
		seen[k.Ref] = true
		if err := validateURL(k); err != nil {
			return err
		}
	}
	if !seen[s.Current] {
		return fmt.Errorf("%w: current key %q is not configured (configured: %s); add it to SENSITIVE_KEYS or pick one of those",
			ErrInvalidSpec, s.Current.String(), s.refList())
	}
	return nil
}

func validateURL(k KeySpec) error {
	u, err := url.Parse(k.URL)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return fmt.Errorf("%w: key %q: keeper URL is not a scheme://... URL (value withheld; it may hold key material)", ErrInvalidSpec, k.Ref.String())
	}
	if u.Scheme != SchemeLocal {
		return nil
	}
	if u.Host == "" {
		return fmt.Errorf("%w: key %q: base64key:// without a key would make a new random key at every start, "+
			"and values sealed with it would be lost; put 32 random bytes in URL-safe base64 after base64key://", ErrInvalidSpec, k.Ref.String())
	}
	if len(u.Query()) > 0 || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("%w: key %q: a base64key URL takes no path or query; it is base64key://<key>, "+
			"the key in URL-safe base64 ('-' and '_' instead of '+' and '/')", ErrInvalidSpec, k.Ref.String())
	}
	raw, err := base64.URLEncoding.DecodeString(u.Host)
	if err != nil {
		return fmt.Errorf("%w: key %q: base64key:// key is not URL-safe base64 with padding (base64.URLEncoding; '-' and '_' instead of '+' and '/')", ErrInvalidSpec, k.Ref.String())
	}
	defer clear(raw)
	if len(raw) != 32 {
		return fmt.Errorf("%w: key %q: base64key:// key is %d bytes, want 32", ErrInvalidSpec, k.Ref.String(), len(raw))
	}
	return nil
}

func (s Spec) refList() string {
	refs := make([]string, len(s.Keys))
	for i, k := range s.Keys {
		refs[i] = k.Ref.String()
	}
	return strings.Join(refs, ", ")
}

// String describes the spec with key material redacted.
func (s Spec) String() string {
	parts := make([]string, len(s.Keys))
	for i, k := range s.Keys {
		parts[i] = k.String()
	}
	return "keys=" + strings.Join(parts, ",") + " current=" + s.Current.String()
}

// GoString implements fmt.GoStringer (%#v) like String.
func (s Spec) GoString() string { return s.String() }

// LogValue implements slog.LogValuer like String.
func (s Spec) LogValue() slog.Value { return slog.StringValue(s.String()) }

// String is "kid:version=URL" with key material and credentials redacted.
func (k KeySpec) String() string { return k.Ref.String() + "=" + redactURL(k.URL) }

// GoString implements fmt.GoStringer (%#v) like String.
func (k KeySpec) GoString() string { return k.String() }

// redactURL keeps what identifies a keeper (scheme, and host and path except
// for local keys) and drops key material, credentials and query values.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return sensitive.Redacted
	}
	if u.Scheme == SchemeLocal {
		return SchemeLocal + "://" + sensitive.Redacted
	}
	out := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	if u.User != nil {
		out.User = url.User(sensitive.Redacted)
	}
	s := out.String()
	if u.RawQuery != "" {
		s += "?" + sensitive.Redacted
	}
	return s
}

// refProblem says what is wrong with a key reference without quoting it.
func refProblem(s string) string {
	id, ver, ok := strings.Cut(strings.TrimSpace(s), ":")
	switch {
	case !ok:
		return "has no ':'"
	case strings.Contains(ver, ":"):
		return "has more than one ':'"
	case id == "":
		return "has an empty key id"
	}
	if _, err := strconv.Atoi(ver); err != nil {
		return "has a version that is not an integer"
	}
	return fmt.Sprintf("has an invalid key id (1 to %d of letters, digits, '.', '_', '-') or version (a positive integer)", sensitive.MaxKeyIDLen)
}

func redactEntry(e string) string {
	if i := strings.Index(e, "://"); i >= 0 {
		return e[:i] + "://" + sensitive.Redacted
	}
	return sensitive.Redacted
}
