// Package config parses the app's typed configuration from environment
// variables, validates all of it at start, and never prints a secret.
//
// # Loading
//
// Load takes a lookup function so tests never touch the process environment;
// FromEnv is Load(os.LookupEnv). An empty variable counts as unset. Every bad
// variable is reported at once in a *Error (errors.Is(err, ErrInvalid)), each
// Problem naming the variable and the fix, never its secret value.
//
//	cfg, err := config.FromEnv()
//	if err != nil {
//		return err // lists every bad variable
//	}
//	logger.Info("starting", zap.Object("config", cfg)) // passwords redacted
//
// # Variables
//
//	APP_ENV                      development (default) | test | production
//	LOG_LEVEL                    debug | info (default) | warn | error
//	HTTP_ADDR                    host:port, default 127.0.0.1:8080
//	DATA_DIR                     default .data (embedded server, local files)
//	POSTGRES_READWRITE_URL       postgres://user:password@host:port/db?sslmode=...
//	POSTGRES_READONLY_URL        same, for a role without write grants
//	POSTGRES_{READWRITE,READONLY}_{HOST,PORT,DATABASE,USER,PASSWORD,SSLMODE,SSLROOTCERT}
//	                             per-part alternative to the URL (not both);
//	                             PORT defaults to 5432; sslmode verify-ca and
//	                             verify-full need SSLROOTCERT naming an existing
//	                             file (or "system")
//	POSTGRES_{READWRITE,READONLY}_POOL_SIZE   default 5
//	POSTGRES_{READWRITE,READONLY}_APP_NAME    default pg_readwrite / pg_readonly
//	POSTGRES_REPLICA_URLS        comma-separated replica URLs for the read-only side
//	POSTGRES_REPLICA_MAX_LAG     duration, default 10s
//	POSTGRES_POOLER              none (default) | transaction: the read-write and
//	                             read-only URLs reach a transaction pooler (PgBouncer
//	                             pool_mode=transaction)
//	POSTGRES_DIRECT_URL          required with POSTGRES_POOLER=transaction (and
//	                             refused without it): the primary itself, for
//	                             migrations and advisory locks; per-part
//	                             POSTGRES_DIRECT_{HOST,...} work too
//	POSTGRES_DIRECT_POOL_SIZE    default 2; POSTGRES_DIRECT_APP_NAME default pg_direct
//	DB_SLOW_QUERY_THRESHOLD      duration, default 200ms; 0 disables the warning
//	SKIP_MIGRATIONS, SKIP_SEEDS  booleans, default false
//	MIGRATE_TIMEOUT, SEED_TIMEOUT durations, default 5m and 30m
//	SEED_ALLOW_OUT_OF_ORDER      boolean, default false
//	SEED_CHANGED                 error (default) | warn (development only)
//	SENSITIVE_KEYS, SENSITIVE_CURRENT_KEY  secrets, parsed by the sensitive package
//
// Per-part variables are assembled with net/url, so passwords with any
// character work; in a URL, percent-encode them.
//
// # Embedded or external
//
// When no POSTGRES_READWRITE_*, POSTGRES_READONLY_* connection variable and no
// POSTGRES_REPLICA_URLS is set, Postgres.Embedded is true: the app starts the
// embedded server and fills in ReadWrite.URL and ReadOnly.URL for the roles
// central and central_ro. APP_ENV=production refuses the embedded server.
// When the read-write side is set, the read-only side must be set too: there
// is no fallback to the read-write role, because the read-only role is one of
// the three guards against writes through the read-only side.
//
// # Secrets
//
// Secret values (passwords, keys, whole URLs) are held in Secret, whose
// String, GoString, MarshalText and RedactedLogValue show "[REDACTED]".
// Config, Postgres and Conn implement String and zapcore.ObjectMarshaler with
// URL passwords redacted. Call Secret.Reveal only where the value is used.
package config
