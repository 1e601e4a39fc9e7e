// Package sqllog wraps an ent dialect.Driver so that every statement is
// logged with zap, timed into a Prometheus histogram, and warned about when
// slow.
//
// # Entries
//
// Each statement is logged at debug level by a logger named "sql" with the
// fields role (primary, readonly, replica), op (exec, query, begin, commit,
// rollback), query, duration, rows (rows affected, for Exec), args,
// request_id (from internal/reqid) and tx (a per-driver transaction number
// shared by begin, the statements inside and commit or rollback). A statement
// slower than Options.SlowThreshold is logged at warn level ("slow sql")
// whatever the logger's level. Errors are logged with the entry; they are
// returned unchanged, so callers still see *pgconn.PgError.
//
// # What is never logged
//
// Warn entries (slow statements) may be shipped and kept for a long time, so
// they carry no argument value at all: the statement's [Shape] (a bulk
// insert's rows and long placeholder lists collapsed), duration, row count,
// arg_count, request id and error. At debug, arguments are logged with
// bounds: each string and byte slice is cut at Options.MaxArgLen, at most
// Options.MaxArgs arguments appear (the rest are counted), the statement is
// cut at Options.MaxStatementLen. An argument implementing Redactor
// (RedactedLogValue() string), such as sensitive.Sealed[T],
// sensitive.Sensitive[T] or config.Secret, is logged as that string at
// every level; a string argument that is an email address is masked
// (a***@***.test), since email is personal data.
//
// # Cost
//
// With debug off, a fast statement costs two clock reads, one histogram
// observation and one zap level check: Check comes before any field is
// built, so no allocation is added (TestNoAllocsWhenDebugOff,
// BenchmarkQuery).
//
// # Usage
//
//	hist := sqllog.NewHistogram()
//	registry.MustRegister(hist)
//	drv := sqllog.Wrap(entsql.OpenDB(dialect.Postgres, db), logger, sqllog.Options{
//		Role:          sqllog.RolePrimary,
//		SlowThreshold: cfg.Postgres.SlowQueryThreshold,
//		Histogram:     hist,
//	})
//	client := ent.NewClient(ent.Driver(drv))
package sqllog
