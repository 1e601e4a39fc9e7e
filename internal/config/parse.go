package config

import (
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"
)

// parser reads variables and collects every problem instead of stopping at
// the first. No message ever contains a variable's value when that value may
// be secret.
type parser struct {
	lookup   func(string) (string, bool)
	declared map[string]secrecy // variables()
	problems []Problem
}

func newParser(lookup func(string) (string, bool)) *parser {
	return &parser{lookup: lookup, declared: declared()}
}

func (p *parser) add(name, msg string) { p.problems = append(p.problems, Problem{Var: name, Msg: msg}) }

// read returns a variable's value, verbatim. It refuses a variable not
// declared in variables(), and a secret one unless wantSecret (and a public
// one if wantSecret): a secret value leaves the parser only as a Secret.
// The refusal is a bug in this package, made loud: every Load fails.
func (p *parser) read(name string, wantSecret bool) (string, bool) {
	s, ok := p.declared[name]
	switch {
	case !ok:
		p.add(name, "config bug: read but not declared in variables(); declare it, saying whether it is secret")
		return "", false
	case (s != public) != wantSecret:
		p.add(name, "config bug: declared secret but read as a public value, or the other way round; read secrets with parser.secret")
		return "", false
	}
	return p.lookup(name)
}

// has reports whether a variable, public or secret, is set.
func (p *parser) has(name string) bool {
	v, ok := p.read(name, p.declared[name] != public)
	return ok && strings.TrimSpace(v) != ""
}

// get returns a public variable's value, trimmed; empty counts as unset.
func (p *parser) get(name string) (string, bool) {
	v, ok := p.read(name, false)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

func (p *parser) str(name, def string) string {
	if v, ok := p.get(name); ok {
		return v
	}
	return def
}

// secret returns a secret variable's value, trimmed; empty counts as unset.
func (p *parser) secret(name string) Secret {
	v, _ := p.read(name, true)
	return Secret(strings.TrimSpace(v))
}

func (p *parser) enum(name, def string, allowed ...string) string {
	v, ok := p.get(name)
	if !ok {
		return def
	}
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return a
		}
	}
	p.add(name, strconv.Quote(v)+" is not one of "+strings.Join(allowed, ", "))
	return def
}

func (p *parser) boolean(name string, def bool) bool {
	v, ok := p.get(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.add(name, strconv.Quote(v)+" is not a boolean; use true or false")
		return def
	}
	return b
}

// duration parses a Go duration ("250ms", "10s", "5m"). Negative values are
// refused; zero only when allowZero.
func (p *parser) duration(name string, def time.Duration, allowZero bool) time.Duration {
	v, ok := p.get(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		p.add(name, strconv.Quote(v)+" is not a duration; use a number with a unit, like 250ms, 10s or 5m")
		return def
	case d < 0 && allowZero:
		p.add(name, strconv.Quote(v)+" must not be negative (0 turns it off)")
		return def
	case d <= 0 && !allowZero:
		p.add(name, strconv.Quote(v)+" must be greater than zero")
		return def
	}
	return d
}

func (p *parser) integer(name string, def, lo, hi int) int {
	v, ok := p.get(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		p.add(name, strconv.Quote(v)+" is not a whole number between "+strconv.Itoa(lo)+" and "+strconv.Itoa(hi))
		return def
	}
	return n
}

func (p *parser) level(name string, def zapcore.Level) zapcore.Level {
	v, ok := p.get(name)
	if !ok {
		return def
	}
	l, err := zapcore.ParseLevel(v)
	if err != nil {
		p.add(name, strconv.Quote(v)+" is not a log level; use debug, info, warn or error")
		return def
	}
	return l
}

func (p *parser) hostPort(name, def string) string {
	v, ok := p.get(name)
	if !ok {
		return def
	}
	_, port, err := net.SplitHostPort(v)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		p.add(name, strconv.Quote(v)+" is not host:port; use e.g. 127.0.0.1:8080 or :8080")
		return def
	}
	return v
}

// sslModes are the sslmode values libpq and pgx accept.
var sslModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

// connParts are the per-part variable suffixes that describe where to connect
// (POOL_SIZE and APP_NAME are settings, allowed with a URL too).
var connParts = []string{"HOST", "PORT", "DATABASE", "USER", "PASSWORD", "SSLMODE", "SSLROOTCERT"}

func (p *parser) postgres(env Env) Postgres {
	pg := Postgres{
		ReplicaMaxLag:      p.duration("POSTGRES_REPLICA_MAX_LAG", DefaultReplicaMaxLag, false),
		SlowQueryThreshold: p.duration("DB_SLOW_QUERY_THRESHOLD", DefaultSlowQueryThreshold, true),
	}
	rw, rwSet := p.conn("READWRITE", DefaultReadWriteAppName)
	ro, roSet := p.conn("READONLY", DefaultReadOnlyAppName)
	pg.ReadWrite, pg.ReadOnly = rw, ro

	if raw := p.secret("POSTGRES_REPLICA_URLS"); raw.IsSet() {
		for i, u := range strings.Split(raw.Reveal(), ",") {
			u = strings.TrimSpace(u)
			if u == "" {
				continue
			}
			if p.checkURL("POSTGRES_REPLICA_URLS", "entry "+strconv.Itoa(i+1)+" ", u) {
				pg.Replicas = append(pg.Replicas, Secret(u))
			}
		}
	}
	replicasSet := p.has("POSTGRES_REPLICA_URLS")

	if env == Production {
		pg.AllowInsecureTLS = p.boolean("POSTGRES_ALLOW_INSECURE_TLS", false)
		targets := []struct {
			name string
			url  Secret
		}{{p.connVar("READWRITE"), pg.ReadWrite.URL}, {p.connVar("READONLY"), pg.ReadOnly.URL}}
		for _, r := range pg.Replicas {
			targets = append(targets, struct {
				name string
				url  Secret
			}{"POSTGRES_REPLICA_URLS", r})
		}
		for _, t := range targets {
			if t.url == "" {
				continue
			}
			if it := p.checkProductionTLS(t.name, t.url.Reveal(), pg.AllowInsecureTLS); it != nil {
				pg.InsecureTLS = append(pg.InsecureTLS, *it)
			}
		}
	}

	switch {
	case !rwSet && !roSet && !replicasSet:
		pg.Embedded = true
		if env == Production {
			p.add("POSTGRES_READWRITE_URL", "APP_ENV=production needs an external database: set POSTGRES_READWRITE_URL and POSTGRES_READONLY_URL (or their per-part variables); the embedded server is for development and tests")
		}
	case !rwSet:
		p.add("POSTGRES_READWRITE_URL", "not set, but other POSTGRES_* variables are: set POSTGRES_READWRITE_URL (or POSTGRES_READWRITE_HOST, _DATABASE, _USER, ...), or unset all of them to use the embedded server")
	case !roSet:
		// No fallback to the read-write role: the read-only role is one of
		// the three guards against writes through the read-only side.
		p.add("POSTGRES_READONLY_URL", "not set: set POSTGRES_READONLY_URL (or POSTGRES_READONLY_HOST, _DATABASE, _USER, ...) to a role without write grants (e.g. a member of pg_read_all_data); the read-only side never falls back to the read-write role")
	}
	p.pooler(&pg)
	return pg
}

// connVar names the variable that sets a side's sslmode: the URL, or the
// per-part SSLMODE variable.
func (p *parser) connVar(side string) string {
	if p.has("POSTGRES_" + side + "_URL") {
		return "POSTGRES_" + side + "_URL"
	}
	return "POSTGRES_" + side + "_SSLMODE"
}

// conn parses one side (READWRITE or READONLY). configured reports whether a
// URL or any per-part connection variable was set.
func (p *parser) conn(side, defApp string) (c Conn, configured bool) {
	prefix := "POSTGRES_" + side + "_"
	c.PoolSize = p.integer(prefix+"POOL_SIZE", DefaultPoolSize, 1, 10000)
	c.AppName = p.str(prefix+"APP_NAME", defApp)
	if len(c.AppName) > 63 || strings.IndexFunc(c.AppName, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0 {
		p.add(prefix+"APP_NAME", "must be at most 63 printable ASCII characters (PostgreSQL truncates or mangles others)")
	}

	urlVar := prefix + "URL"
	raw := p.secret(urlVar)
	hasURL := raw.IsSet()
	var set []string
	for _, part := range connParts {
		if p.has(prefix + part) {
			set = append(set, prefix+part)
		}
	}
	switch {
	case hasURL && len(set) > 0:
		for _, v := range set {
			p.add(v, "conflicts with "+urlVar+": set either the URL or the per-part variables, not both")
		}
		return c, true
	case hasURL:
		if p.checkURL(urlVar, "", raw.Reveal()) {
			c.URL = raw
		}
		return c, true
	case len(set) > 0:
		c.URL = p.buildURL(prefix)
		return c, true
	}
	return c, false
}

// buildURL assembles a URL from per-part variables with net/url, so any
// character in the user name or password is escaped correctly.
func (p *parser) buildURL(prefix string) Secret {
	before := len(p.problems)
	host, ok := p.get(prefix + "HOST")
	if !ok {
		p.add(prefix+"HOST", "required when other "+prefix+"* connection variables are set")
	}
	port := p.integer(prefix+"PORT", 5432, 1, 65535)
	database, ok := p.get(prefix + "DATABASE")
	if !ok {
		p.add(prefix+"DATABASE", "required when other "+prefix+"* connection variables are set")
	}
	user, ok := p.get(prefix + "USER")
	if !ok {
		p.add(prefix+"USER", "required when other "+prefix+"* connection variables are set")
	}
	// Passwords are taken verbatim (not trimmed): spaces may be part of them.
	password, hasPassword := p.read(prefix+"PASSWORD", true)
	hasPassword = hasPassword && password != ""
	sslmode := p.enum(prefix+"SSLMODE", "", sslModes...)
	rootCert, _ := p.get(prefix + "SSLROOTCERT")
	p.checkSSL(prefix+"SSLMODE", prefix+"SSLROOTCERT", sslmode, rootCert)
	if len(p.problems) > before {
		return ""
	}

	u := url.URL{Scheme: "postgres", Host: net.JoinHostPort(host, strconv.Itoa(port)), Path: "/" + database}
	if hasPassword {
		u.User = url.UserPassword(user, password)
	} else {
		u.User = url.User(user)
	}
	q := url.Values{}
	if sslmode != "" {
		q.Set("sslmode", sslmode)
	}
	if rootCert != "" {
		q.Set("sslrootcert", rootCert)
	}
	u.RawQuery = q.Encode()
	return Secret(u.String())
}

// checkSSL validates an sslmode/sslrootcert pair: verify-ca and verify-full
// need a root certificate file that exists (or "system" for the OS roots).
func (p *parser) checkSSL(modeVar, certVar, mode, rootCert string) {
	if (mode == "verify-ca" || mode == "verify-full") && rootCert == "" {
		if modeVar == certVar { // both inside one URL
			p.add(certVar, "sslmode "+mode+" needs a root certificate: add sslrootcert=/path/to/ca.pem (or sslrootcert=system for the OS trust store) to the URL")
			return
		}
		p.add(certVar, "sslmode "+mode+" needs a root certificate: set "+certVar+" to the CA file that signed the server's certificate (or \"system\" for the OS trust store)")
		return
	}
	if rootCert == "" || rootCert == "system" {
		return
	}
	st, err := os.Stat(rootCert)
	switch {
	case err != nil:
		p.add(certVar, "root certificate file "+strconv.Quote(rootCert)+" cannot be read: "+errText(err))
	case st.IsDir():
		p.add(certVar, "root certificate "+strconv.Quote(rootCert)+" is a directory; point it at the CA file")
	}
}

// checkURL validates a postgres URL without ever echoing it (it may hold a
// password). what prefixes messages, e.g. "entry 2 ".
func (p *parser) checkURL(name, what, raw string) bool {
	before := len(p.problems)
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		p.add(name, what+"is not a postgres URL; expected postgres://user:password@host:5432/database?sslmode=require (percent-encode special characters in the user and password)")
		return false
	}
	q := u.Query()
	if u.Host == "" && q.Get("host") == "" {
		p.add(name, what+"has no host; expected postgres://user:password@host:5432/database")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			// Not quoted: an unescaped '/' or '#' in a password moves
			// part of it into the "port".
			p.add(name, what+"has an invalid port; expected host:1-65535 (percent-encode '/', '#', '?' and '@' in the password)")
		}
	}
	if strings.TrimPrefix(u.Path, "/") == "" && q.Get("dbname") == "" {
		p.add(name, what+"names no database; add /database after the host")
	}
	mode := q.Get("sslmode")
	if mode != "" {
		valid := false
		for _, m := range sslModes {
			valid = valid || m == mode
		}
		if !valid {
			p.add(name, what+"has sslmode "+strconv.Quote(mode)+", not one of "+strings.Join(sslModes, ", "))
		}
	}
	p.checkSSL(name, name, mode, q.Get("sslrootcert"))
	return len(p.problems) == before
}

// errText describes a file error without the path (the caller quotes it).
func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}
