package replica

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// failure classifies an error returned by a replica.
type failure int

const (
	failOther    failure = iota // a query error; returned to the caller
	failConn                    // the replica is unreachable or went away
	failConflict                // a hot standby recovery conflict canceled the query
)

// classify decides whether a replica error is worth retrying on the primary.
// Only failures that say nothing about the query itself qualify: connection
// loss, server shutdown or startup, and recovery conflicts (on a hot standby
// SQLSTATE 40001 and 40P01 can only come from conflicts with WAL replay, since
// serializable transactions are refused there).
func classify(err error) failure {
	if err == nil {
		return failOther
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), // connection_exception class
			pgErr.Code == "57P01", // admin_shutdown
			pgErr.Code == "57P02", // crash_shutdown
			pgErr.Code == "57P03": // cannot_connect_now (starting up, shutting down)
			return failConn
		case pgErr.Code == "40001", pgErr.Code == "40P01":
			return failConflict
		}
		return failOther
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr),
		errors.Is(err, driver.ErrBadConn),
		errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE),
		errors.As(err, &netErr),
		pgconn.SafeToRetry(err):
		return failConn
	}
	return failOther
}
