package replica

import (
	"errors"
	"fmt"
	"time"
)

// Default settings; see the matching options.
const (
	DefaultPollInterval = 500 * time.Millisecond
	DefaultPollTimeout  = time.Second
	DefaultMaxLag       = 10 * time.Second
)

type config struct {
	pollInterval time.Duration
	pollTimeout  time.Duration
	maxLag       time.Duration
	maxWait      time.Duration
	primaryQ     Querier
	now          func() time.Time
	noRetry      bool
}

func defaultConfig() config {
	return config{
		pollInterval: DefaultPollInterval,
		pollTimeout:  DefaultPollTimeout,
		maxLag:       DefaultMaxLag,
		now:          time.Now,
	}
}

// Option configures a [Router].
type Option func(*config) error

// WithPollInterval sets how often the watcher polls the primary and every
// replica (default [DefaultPollInterval]). It must be positive.
func WithPollInterval(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("replica: poll interval %v: must be positive", d)
		}
		c.pollInterval = d
		return nil
	}
}

// WithPollTimeout bounds each health query (default [DefaultPollTimeout]); a
// replica whose query times out counts as unreachable. It must be positive.
func WithPollTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("replica: poll timeout %v: must be positive", d)
		}
		c.pollTimeout = d
		return nil
	}
}

// WithMaxLag sets how far behind the primary a replica may replay before it
// stops getting reads (default [DefaultMaxLag]). It must be positive.
func WithMaxLag(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("replica: max lag %v: must be positive", d)
		}
		c.maxLag = d
		return nil
	}
}

// WithMaxWait lets a read whose token no replica is known to have replayed
// wait up to d, re-polling the healthy replicas, before it falls back to the
// primary. The default 0 falls back at once. It must not be negative.
func WithMaxWait(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("replica: max wait %v: must not be negative", d)
		}
		c.maxWait = d
		return nil
	}
}

// WithPrimaryQuerier sets the connection the watcher and [Router.Token] use to
// ask the primary for its WAL position. Pass the read-only *sql.DB that
// underlies the primary driver so that health polls bypass SQL logging. By
// default they go through the primary driver.
func WithPrimaryQuerier(q Querier) Option {
	return func(c *config) error {
		if q == nil {
			return errors.New("replica: primary querier is nil: pass the read-only *sql.DB of the primary or omit the option")
		}
		c.primaryQ = q
		return nil
	}
}

// WithClock sets the clock used for lag measurements (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("replica: clock is nil: pass a func returning the current time or omit the option")
		}
		c.now = now
		return nil
	}
}

// WithoutPrimaryRetry disables the default retry on the primary of a read that
// failed on a replica with a connection error or a recovery conflict; the
// error is then returned to the caller.
func WithoutPrimaryRetry() Option {
	return func(c *config) error {
		c.noRetry = true
		return nil
	}
}
