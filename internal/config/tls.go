package config

import (
	"net"
	"net/url"
	"strings"
)

// InsecureTarget is a database connection that production accepted without
// verified TLS because POSTGRES_ALLOW_INSECURE_TLS is set; the app logs each
// one at warn level at start.
type InsecureTarget struct {
	Var     string // the variable that configured it
	SSLMode string // "" when none was given
}

// checkProductionTLS enforces the production TLS policy on one connection
// URL: sslmode must verify the server (verify-full, or verify-ca), unless
// every host is loopback or a Unix socket, where traffic never leaves the
// machine (a TLS-terminating sidecar such as the Cloud SQL Auth Proxy or a
// local PgBouncer listens there). With allowInsecure the connection is
// accepted and returned as an InsecureTarget to be logged.
func (p *parser) checkProductionTLS(name, raw string, allowInsecure bool) *InsecureTarget {
	u, err := url.Parse(raw)
	if err != nil {
		return nil // reported by checkURL
	}
	mode := u.Query().Get("sslmode")
	if mode == "verify-full" || mode == "verify-ca" || allLoopback(u) {
		return nil
	}
	if allowInsecure {
		return &InsecureTarget{Var: name, SSLMode: mode}
	}
	why := "has no sslmode (libpq's default, prefer, falls back to plain text)"
	switch mode {
	case "disable":
		why = "has sslmode=disable (no encryption)"
	case "allow", "prefer":
		why = "has sslmode=" + mode + " (falls back to plain text)"
	case "require":
		why = "has sslmode=require (encrypted, but any certificate is accepted, so a man in the middle is not detected)"
	}
	p.add(name, why+": APP_ENV=production needs sslmode=verify-full with sslrootcert=<CA file> (or sslrootcert=system) "+
		"for a non-loopback host; if TLS is terminated elsewhere on a trusted network, set POSTGRES_ALLOW_INSECURE_TLS=true")
	return nil
}

// allLoopback reports whether every host the URL names is a loopback
// address, localhost or a Unix-socket directory.
func allLoopback(u *url.URL) bool {
	hosts := strings.Split(u.Host, ",")
	if h := u.Query().Get("host"); h != "" {
		hosts = append(hosts, strings.Split(h, ",")...)
	}
	seen := false
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		seen = true
		if strings.HasPrefix(h, "/") {
			continue // Unix socket directory
		}
		if host, _, err := net.SplitHostPort(h); err == nil {
			h = host
		}
		h = strings.Trim(h, "[]")
		if strings.EqualFold(h, "localhost") {
			continue
		}
		if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
			continue
		}
		return false
	}
	return seen
}
