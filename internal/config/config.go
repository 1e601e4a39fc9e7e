package config

import (
	"os"
	"time"

	"go.uber.org/zap/zapcore"
)

// Env is the environment the app runs in.
type Env string

// The environments APP_ENV accepts.
const (
	Development Env = "development"
	Test        Env = "test"
	Production  Env = "production"
)

// SeedChangedMode says what happens when an applied seed's file changed.
type SeedChangedMode string

// The modes SEED_CHANGED accepts; warn is allowed only in development.
const (
	SeedChangedError SeedChangedMode = "error"
	SeedChangedWarn  SeedChangedMode = "warn"
)

// Defaults applied when a variable is unset or empty.
const (
	DefaultHTTPAddr           = "127.0.0.1:8080"
	DefaultDataDir            = ".data"
	DefaultPoolSize           = 5
	DefaultReadWriteAppName   = "pg_readwrite"
	DefaultReadOnlyAppName    = "pg_readonly"
	DefaultReplicaMaxLag      = 10 * time.Second
	DefaultSlowQueryThreshold = 200 * time.Millisecond
	DefaultMigrateTimeout     = 5 * time.Minute
	DefaultSeedTimeout        = 30 * time.Minute
	// DefaultShutdownDelay applies in production; development and test
	// default to no delay.
	DefaultShutdownDelay   = 5 * time.Second
	DefaultShutdownTimeout = 20 * time.Second
)

// Config is the app's whole configuration, parsed once at start.
type Config struct {
	Env       Env
	LogLevel  zapcore.Level
	HTTPAddr  string
	DataDir   string
	Postgres  Postgres
	Migrate   Migrate
	Seed      Seed
	Sensitive Sensitive
	Shutdown  Shutdown
}

// Shutdown configures the graceful stop on SIGTERM or SIGINT.
type Shutdown struct {
	// Delay is how long the server keeps serving, with /readyz answering
	// 503, before it stops accepting connections: the time a load balancer
	// (a Kubernetes endpoint update) needs to stop sending new requests.
	Delay time.Duration
	// Timeout bounds the wait for in-flight requests after the delay;
	// connections still busy then are closed.
	Timeout time.Duration
}

// Postgres says where the databases are and how to talk to them.
type Postgres struct {
	// Embedded is true when no database variable is set: the app starts the
	// embedded server (internal/pgserver) and fills in ReadWrite.URL (role
	// central) and ReadOnly.URL (role central_ro) before opening pools.
	Embedded bool
	// ReadWrite is the primary, reached as a role that may write.
	ReadWrite Conn
	// ReadOnly is the primary, reached as a role without write grants.
	ReadOnly Conn
	// Replicas are streaming replicas serving the read-only side (may be
	// empty). They use ReadOnly's pool size.
	Replicas []Secret
	// ReplicaMaxLag is the replay lag beyond which a replica stops getting reads.
	ReplicaMaxLag time.Duration
	// SlowQueryThreshold is the duration beyond which a statement is logged at
	// warn level; zero disables the warning.
	SlowQueryThreshold time.Duration
	// AllowInsecureTLS (POSTGRES_ALLOW_INSECURE_TLS, production only) accepts
	// connections without verified TLS to non-loopback hosts; InsecureTLS
	// lists them, and the app logs each at warn level at start.
	AllowInsecureTLS bool
	InsecureTLS      []InsecureTarget
	// Pooler is what the read-write and read-only URLs reach (POSTGRES_POOLER).
	Pooler Pooler
	// Direct is the primary reached without the pooler (POSTGRES_DIRECT_URL),
	// for migrations and advisory locks; set only with PoolerTransaction.
	Direct Conn
}

// Conn is one connection target.
type Conn struct {
	// URL is the full postgres:// URL, password included. Print Redacted().
	URL Secret
	// PoolSize is the maximum number of open (and idle) connections.
	PoolSize int
	// AppName is sent as application_name (visible in pg_stat_activity).
	AppName string
}

// Redacted returns the URL with any password replaced.
func (c Conn) Redacted() string { return RedactURL(c.URL.Reveal()) }

// Migrate configures migrations at boot.
type Migrate struct {
	Skip    bool
	Timeout time.Duration
}

// Seed configures seeding at boot.
type Seed struct {
	Skip            bool
	Timeout         time.Duration
	AllowOutOfOrder bool
	OnChanged       SeedChangedMode
}

// Sensitive carries the key material for encrypted JSONB columns; the
// sensitive package defines the format of both strings.
type Sensitive struct {
	Keys       Secret
	CurrentKey Secret
}

// FromEnv parses the configuration from the process environment.
func FromEnv() (Config, error) { return Load(os.LookupEnv) }

// Load parses the configuration from lookup (os.LookupEnv in production, a
// map in tests). An empty value counts as unset. On failure the error is a
// *Error listing every bad variable.
func Load(lookup func(string) (string, bool)) (Config, error) {
	if lookup == nil {
		return Config{}, &Error{Problems: []Problem{{Var: "(lookup)", Msg: "config.Load needs a lookup function; pass os.LookupEnv"}}}
	}
	p := newParser(lookup)
	var c Config

	c.Env = Env(p.enum("APP_ENV", string(Development), string(Development), string(Test), string(Production)))
	c.LogLevel = p.level("LOG_LEVEL", zapcore.InfoLevel)
	c.HTTPAddr = p.hostPort("HTTP_ADDR", DefaultHTTPAddr)
	c.DataDir = p.str("DATA_DIR", DefaultDataDir)

	c.Postgres = p.postgres(c.Env)

	c.Migrate.Skip = p.boolean("SKIP_MIGRATIONS", false)
	c.Migrate.Timeout = p.duration("MIGRATE_TIMEOUT", DefaultMigrateTimeout, false)
	c.Seed.Skip = p.boolean("SKIP_SEEDS", false)
	c.Seed.Timeout = p.duration("SEED_TIMEOUT", DefaultSeedTimeout, false)
	c.Seed.AllowOutOfOrder = p.boolean("SEED_ALLOW_OUT_OF_ORDER", false)
	c.Seed.OnChanged = SeedChangedMode(p.enum("SEED_CHANGED", string(SeedChangedError), string(SeedChangedError), string(SeedChangedWarn)))
	if c.Seed.OnChanged == SeedChangedWarn && c.Env != Development {
		p.add("SEED_CHANGED", "warn is allowed only with APP_ENV=development; use error (the default) and write a new seed instead of editing an applied one")
	}

	defDelay := time.Duration(0)
	if c.Env == Production {
		defDelay = DefaultShutdownDelay
	}
	c.Shutdown.Delay = p.duration("SHUTDOWN_DELAY", defDelay, true)
	c.Shutdown.Timeout = p.duration("SHUTDOWN_TIMEOUT", DefaultShutdownTimeout, false)

	c.Sensitive.Keys = p.secret("SENSITIVE_KEYS")
	c.Sensitive.CurrentKey = p.secret("SENSITIVE_CURRENT_KEY")

	if len(p.problems) > 0 {
		return Config{}, &Error{Problems: p.problems}
	}
	return c, nil
}

// WithURLs returns p with the read-write and read-only URLs set, keeping pool
// sizes and application names: the app calls it with the embedded server's
// URLs for roles central and central_ro when Embedded is true.
func (p Postgres) WithURLs(readWrite, readOnly string) Postgres {
	p.ReadWrite.URL = Secret(readWrite)
	p.ReadOnly.URL = Secret(readOnly)
	return p
}
