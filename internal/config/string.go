package config

import (
	"fmt"
	"strings"

	"go.uber.org/zap/zapcore"
)

// String renders the configuration on one line with every secret redacted.
func (c Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "env=%s log_level=%s http_addr=%s data_dir=%q", c.Env, c.LogLevel, c.HTTPAddr, c.DataDir)
	b.WriteString(" postgres={" + c.Postgres.String() + "}")
	fmt.Fprintf(&b, " migrate={skip=%t timeout=%s}", c.Migrate.Skip, c.Migrate.Timeout)
	fmt.Fprintf(&b, " seed={skip=%t timeout=%s allow_out_of_order=%t on_changed=%s}", c.Seed.Skip, c.Seed.Timeout, c.Seed.AllowOutOfOrder, c.Seed.OnChanged)
	fmt.Fprintf(&b, " sensitive={keys_set=%t current_key_set=%t}", c.Sensitive.Keys.IsSet(), c.Sensitive.CurrentKey.IsSet())
	fmt.Fprintf(&b, " shutdown={delay=%s timeout=%s}", c.Shutdown.Delay, c.Shutdown.Timeout)
	return b.String()
}

// String renders the database settings with passwords redacted.
func (p Postgres) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "embedded=%t readwrite={%s} readonly={%s} replicas=[", p.Embedded, p.ReadWrite, p.ReadOnly)
	for i, r := range p.Replicas {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(RedactURL(r.Reveal()))
	}
	fmt.Fprintf(&b, "] replica_max_lag=%s slow_query_threshold=%s", p.ReplicaMaxLag, p.SlowQueryThreshold)
	if p.AllowInsecureTLS {
		b.WriteString(" allow_insecure_tls=true")
	}
	b.WriteString(p.poolerString())
	return b.String()
}

// String renders the connection with its password redacted.
func (c Conn) String() string {
	return fmt.Sprintf("url=%s pool_size=%d app_name=%s", c.Redacted(), c.PoolSize, c.AppName)
}

// MarshalLogObject lets zap log the configuration (zap.Object) with every
// secret redacted.
func (c Config) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("env", string(c.Env))
	enc.AddString("log_level", c.LogLevel.String())
	enc.AddString("http_addr", c.HTTPAddr)
	enc.AddString("data_dir", c.DataDir)
	if err := enc.AddObject("postgres", c.Postgres); err != nil {
		return err
	}
	enc.AddBool("skip_migrations", c.Migrate.Skip)
	enc.AddDuration("migrate_timeout", c.Migrate.Timeout)
	enc.AddBool("skip_seeds", c.Seed.Skip)
	enc.AddDuration("seed_timeout", c.Seed.Timeout)
	enc.AddBool("seed_allow_out_of_order", c.Seed.AllowOutOfOrder)
	enc.AddString("seed_changed", string(c.Seed.OnChanged))
	enc.AddBool("sensitive_keys_set", c.Sensitive.Keys.IsSet())
	enc.AddBool("sensitive_current_key_set", c.Sensitive.CurrentKey.IsSet())
	enc.AddDuration("shutdown_delay", c.Shutdown.Delay)
	enc.AddDuration("shutdown_timeout", c.Shutdown.Timeout)
	return nil
}

// MarshalLogObject logs the database settings with passwords redacted.
func (p Postgres) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddBool("embedded", p.Embedded)
	if err := enc.AddObject("readwrite", p.ReadWrite); err != nil {
		return err
	}
	if err := enc.AddObject("readonly", p.ReadOnly); err != nil {
		return err
	}
	if err := enc.AddArray("replicas", zapcore.ArrayMarshalerFunc(func(a zapcore.ArrayEncoder) error {
		for _, r := range p.Replicas {
			a.AppendString(RedactURL(r.Reveal()))
		}
		return nil
	})); err != nil {
		return err
	}
	enc.AddDuration("replica_max_lag", p.ReplicaMaxLag)
	enc.AddDuration("slow_query_threshold", p.SlowQueryThreshold)
	enc.AddBool("allow_insecure_tls", p.AllowInsecureTLS)
	if p.Pooler != PoolerNone {
		enc.AddString("pooler", p.Pooler.String())
		if err := enc.AddObject("direct", p.Direct); err != nil {
			return err
		}
	}
	return nil
}

// MarshalLogObject logs the connection with its password redacted.
func (c Conn) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("url", c.Redacted())
	enc.AddInt("pool_size", c.PoolSize)
	enc.AddString("app_name", c.AppName)
	return nil
}
