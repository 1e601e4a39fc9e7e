package config

import (
	"cmp"
	"encoding/json"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// minSecretLen is the shortest fragment redacted: shorter ones would blank
// out ordinary words of messages, and are not key material.
const minSecretLen = 6

// Redactor removes the secret values of one environment from any text,
// whatever shape the values had and whatever code quoted them: it is the
// last line behind the messages that never quote a secret on purpose.
// The CLI passes its standard output, standard error and log sink through
// one.
type Redactor struct {
	secrets []string // longest first, so a whole value goes before its parts
	replace *strings.Replacer
}

// userinfo finds the password of a URL-like string even when it does not
// parse: everything between the user's ':' and the last '@' of the
// authority.
var userinfo = regexp.MustCompile(`://[^:/@]*:(.+)@`)

// NewRedactor collects the secrets of the environment lookup reads: the
// values of the variables variables() declares secret, each as its secrecy
// says.
func NewRedactor(lookup func(string) (string, bool)) *Redactor {
	var found []string
	var add func(s string)
	add = func(s string) {
		s = strings.TrimSpace(s)
		if len(s) < minSecretLen {
			return
		}
		found = append(found, s)
		if t := strings.TrimRight(s, "="); t != s {
			add(t) // base64 padding is easily lost on the way
		}
		// The same secret as the encoders and %q would print it.
		if q := strconv.Quote(s); q[1:len(q)-1] != s {
			found = append(found, q[1:len(q)-1])
		}
		if b, err := json.Marshal(s); err == nil && string(b[1:len(b)-1]) != s {
			found = append(found, string(b[1:len(b)-1]))
		}
		if e := url.QueryEscape(s); e != s {
			found = append(found, e)
		}
		if d, err := url.PathUnescape(s); err == nil && d != s {
			found = append(found, d)
		}
	}
	for _, sv := range variables() {
		if sv.secrecy == public {
			continue
		}
		v, ok := lookup(sv.name)
		if !ok || strings.TrimSpace(v) == "" {
			continue
		}
		whole := sv.secrecy != keyReference // a kid:version is not secret
		if whole {
			add(v)
		}
		for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' }) {
			if whole {
				add(part)
			}
			if m := userinfo.FindStringSubmatch(part); m != nil {
				add(m[1])
			}
			if u, err := url.Parse(part); err == nil {
				if p, ok := u.User.Password(); ok {
					add(p)
				}
				for _, k := range []string{"password", "sslpassword"} {
					add(u.Query().Get(k))
				}
			}
			if k, val, ok := strings.Cut(part, "="); ok && (k == "password" || k == "sslpassword") {
				add(val) // a keyword/value DSN where a URL was expected
			}
			if sv.secrecy == secretValue {
				continue
			}
			// kid:version=URL, kid:version:key, a bare key with padding.
			if _, after, ok := strings.Cut(part, "="); ok && (!strings.Contains(after, "://") || strings.HasPrefix(strings.ToLower(after), "base64key://")) {
				add(after) // kid:version=<key pasted without a scheme>
			}
			if before, after, ok := strings.Cut(part, "://"); ok {
				// A base64key URL is the key itself; other keeper URLs
				// (hashivault://central) name a key and are not secret, and
				// redacting their host would blank ordinary words.
				_, scheme, _ := strings.Cut(before, "=")
				if strings.EqualFold(scheme, "base64key") || strings.EqualFold(before, "base64key") {
					add(after)
					host, _, _ := strings.Cut(after, "/")
					add(host)
				}
			} else if fields := strings.Split(part, ":"); len(fields) > 2 {
				add(strings.Join(fields[2:], ":")) // kid:version:key
			}
		}
	}
	// Longest first; equal lengths in text order, so that Compact, which
	// drops adjacent repeats only, sees every repeat next to its twin.
	slices.SortFunc(found, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	found = slices.Compact(found)
	pairs := make([]string, 0, 2*len(found))
	for _, s := range found {
		pairs = append(pairs, s, redactedMark)
	}
	return &Redactor{secrets: found, replace: strings.NewReplacer(pairs...)}
}

// Redact returns s with every secret replaced by "[REDACTED]".
func (r *Redactor) Redact(s string) string {
	if r == nil || len(r.secrets) == 0 {
		return s
	}
	return r.replace.Replace(s)
}

// Writer returns w with every secret redacted from each Write. Writers
// that print whole lines per call (fmt.Fprintf, zap) are covered exactly.
func (r *Redactor) Writer(w io.Writer) io.Writer { return redactWriter{r: r, w: w} }

type redactWriter struct {
	r *Redactor
	w io.Writer
}

func (rw redactWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(rw.w, rw.r.Redact(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Sync passes through to the underlying writer (zap calls it).
func (rw redactWriter) Sync() error {
	if s, ok := rw.w.(interface{ Sync() error }); ok {
		return s.Sync()
	}
	return nil
}
