package db

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrStopping is returned by Ready once Stop has begun.
var ErrStopping = errors.New("db: stopping")

// Check is the outcome of one health check.
type Check struct {
	Name string `json:"name"` // stopping, readwrite, readonly, migrations, replica-N
	OK   bool   `json:"ok"`
	// Critical checks make the instance not ready when they fail. Replica
	// checks are not critical: reads fall back to the primary, and failing
	// readiness on a lagging replica would take every instance out at once.
	Critical bool   `json:"critical"`
	Detail   string `json:"detail,omitempty"`
}

// Report is the outcome of every check, for a /readyz body.
type Report struct {
	Ready  bool    `json:"ready"`
	Checks []Check `json:"checks"`
}

// NotReadyError lists the critical checks that failed.
type NotReadyError struct {
	Report Report
}

func (e *NotReadyError) Error() string {
	var failed []string
	for _, c := range e.Report.Checks {
		if c.Critical && !c.OK {
			failed = append(failed, c.Name+": "+c.Detail)
		}
	}
	return "db: not ready: " + strings.Join(failed, "; ")
}

// Unwrap returns ErrStopping when the stop has begun, so errors.Is works.
func (e *NotReadyError) Unwrap() error {
	for _, c := range e.Report.Checks {
		if c.Name == "stopping" && !c.OK {
			return ErrStopping
		}
	}
	return nil
}

// Live reports whether both primary pools answer now (a *PingError
// otherwise). Unlike the start-up Ping it does not wait for an unreachable
// server: a probe must answer promptly.
func (d *DB) Live(ctx context.Context) error {
	if err := d.pools.ping(ctx, PoolReadWrite, d.pools.ReadWrite.Pgx); err != nil {
		return err
	}
	return d.pools.ping(ctx, PoolReadOnly, d.pools.ReadOnly.Pgx)
}

// Ready reports whether the instance should get traffic: not stopping, both
// primary pools answer, no migration pending. It returns a *NotReadyError
// listing what failed.
func (d *DB) Ready(ctx context.Context) error {
	r := d.Health(ctx)
	if !r.Ready {
		return &NotReadyError{Report: r}
	}
	return nil
}

// Health runs every check: the critical ones of Ready plus one per replica
// (healthy, lag) from the router's last poll.
func (d *DB) Health(ctx context.Context) Report {
	var checks []Check
	add := func(name string, critical bool, err error, okDetail string) {
		c := Check{Name: name, OK: err == nil, Critical: critical, Detail: okDetail}
		if err != nil {
			c.Detail = err.Error()
		}
		checks = append(checks, c)
	}
	var stopErr error
	if d.stopping.Load() {
		stopErr = ErrStopping
	}
	add("stopping", true, stopErr, "")
	add(PoolReadWrite, true, d.pools.ping(ctx, PoolReadWrite, d.pools.ReadWrite.Pgx), "")
	add(PoolReadOnly, true, d.pools.ping(ctx, PoolReadOnly, d.pools.ReadOnly.Pgx), "")
	if d.pending != nil {
		n, err := d.pending.Pending(ctx)
		switch {
		case err != nil:
			add("migrations", true, fmt.Errorf("check pending migrations: %w", err), "")
		case n > 0:
			add("migrations", true, fmt.Errorf("%d migration(s) not applied; run `app db migrate` or unset SKIP_MIGRATIONS", n), "")
		default:
			add("migrations", true, nil, "all applied")
		}
	}
	for _, s := range d.router.Status() {
		detail := "lag " + s.Lag.String() + ", " + strconv.FormatUint(s.LagBytes, 10) + " bytes"
		switch {
		case s.Healthy:
			add(s.Name, false, nil, detail)
		case s.LastErr != nil:
			add(s.Name, false, s.LastErr, "")
		default:
			add(s.Name, false, errors.New("not getting reads"), "")
		}
	}
	r := Report{Ready: true, Checks: checks}
	for _, c := range checks {
		if c.Critical && !c.OK {
			r.Ready = false
		}
	}
	return r
}
