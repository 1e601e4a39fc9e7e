package config

// secrecy says which part of a variable's value is secret, and so what the
// Redactor removes from output.
type secrecy uint8

const (
	// public values are printed as they are.
	public secrecy = iota
	// secretValue: the whole value, each comma-separated part, and any
	// password inside a URL or keyword/value DSN (passwords, URLs).
	secretValue
	// keyRing: a key-ring spec (SENSITIVE_KEYS): as secretValue, plus the
	// key material inside each entry, however it was written.
	keyRing
	// keyReference: a kid:version naming a key (SENSITIVE_CURRENT_KEY).
	// The reference itself is not secret and stays readable in messages;
	// a key pasted into it by mistake (kid:version:key) is removed.
	keyReference
)

// variable declares one environment variable of the app. The parser reads
// no variable that is not declared here, and reads a secret one only through
// parser.secret, so the Redactor, which walks this list, cannot miss one.
type variable struct {
	name    string
	secrecy secrecy
	// foreign variables are read by a library rather than by Load (Vault's
	// client reads VAULT_TOKEN); they are declared so the Redactor covers them.
	foreign bool
}

// variables returns every variable the app reads from its environment.
func variables() []variable {
	vs := []variable{
		{name: "APP_ENV"}, {name: "LOG_LEVEL"}, {name: "HTTP_ADDR"}, {name: "DATA_DIR"},
		{name: "POSTGRES_REPLICA_URLS", secrecy: secretValue},
		{name: "POSTGRES_REPLICA_MAX_LAG"}, {name: "DB_SLOW_QUERY_THRESHOLD"},
		{name: "POSTGRES_ALLOW_INSECURE_TLS"}, {name: "POSTGRES_POOLER"},
		{name: "SKIP_MIGRATIONS"}, {name: "MIGRATE_TIMEOUT"},
		{name: "SKIP_SEEDS"}, {name: "SEED_TIMEOUT"}, {name: "SEED_ALLOW_OUT_OF_ORDER"}, {name: "SEED_CHANGED"},
		{name: "SHUTDOWN_DELAY"}, {name: "SHUTDOWN_TIMEOUT"},
		{name: "SENSITIVE_KEYS", secrecy: keyRing},
		{name: "SENSITIVE_CURRENT_KEY", secrecy: keyReference},
		{name: "VAULT_TOKEN", secrecy: secretValue, foreign: true},
	}
	for _, side := range []string{"READWRITE", "READONLY", "DIRECT"} {
		prefix := "POSTGRES_" + side + "_"
		vs = append(vs,
			variable{name: prefix + "URL", secrecy: secretValue},
			variable{name: prefix + "PASSWORD", secrecy: secretValue},
			variable{name: prefix + "POOL_SIZE"}, variable{name: prefix + "APP_NAME"})
		for _, part := range connParts {
			if part != "PASSWORD" {
				vs = append(vs, variable{name: prefix + part})
			}
		}
	}
	return vs
}

// declared maps each variable's name to its secrecy.
func declared() map[string]secrecy {
	vs := variables()
	m := make(map[string]secrecy, len(vs))
	for _, v := range vs {
		m[v.name] = v.secrecy
	}
	return m
}
