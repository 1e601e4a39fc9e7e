package seed

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// running is what a seed's context carries while it runs.
type running struct {
	name     string
	progress *Reporter
	lend     func(ctx context.Context, fn func(conn *pgx.Conn) error) error // nil: no COPY
}

type runKey struct{}

func newRunContext(ctx context.Context, r *running) context.Context {
	return context.WithValue(ctx, runKey{}, r)
}

func runFromContext(ctx context.Context) *running {
	r, _ := ctx.Value(runKey{}).(*running)
	return r
}

// Name returns the name of the seed running in ctx, or "" outside a seed.
func Name(ctx context.Context) string {
	if r := runFromContext(ctx); r != nil {
		return r.name
	}
	return ""
}

// Reporter prints a long seed's progress on the runner's progress writer,
// each line prefixed with the seed's name.
type Reporter struct {
	name  string
	w     io.Writer
	now   func() time.Time
	every time.Duration

	mu    sync.Mutex
	start time.Time
	last  time.Time
}

func newReporter(name string, w io.Writer, now func() time.Time, every time.Duration) *Reporter {
	t := now()
	return &Reporter{name: name, w: w, now: now, every: every, start: t, last: t}
}

// Progress returns the reporter of the seed running in ctx; outside a seed it
// returns one that discards everything, so seed code never checks for nil.
func Progress(ctx context.Context) *Reporter {
	if r := runFromContext(ctx); r != nil {
		return r.progress
	}
	return newReporter("", io.Discard, time.Now, time.Hour)
}

// Printf prints one line: "seed <name>: <message>".
func (p *Reporter) Printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "seed %s: %s\n", p.name, fmt.Sprintf(format, args...))
}

// Count reports done of total units (rows, files...) of what; it prints at
// most once per progress interval, and always when done reaches total.
// total <= 0 means unknown.
func (p *Reporter) Count(what string, done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if now.Sub(p.last) < p.every && (total <= 0 || done < total) {
		return
	}
	p.last = now
	rate := ""
	if el := now.Sub(p.start).Seconds(); el > 0 {
		rate = fmt.Sprintf(", %.0f %s/s", float64(done)/el, what)
	}
	if total > 0 {
		fmt.Fprintf(p.w, "seed %s: %d/%d %s (%.0f%%)%s\n", p.name, done, total, what, 100*float64(done)/float64(total), rate)
	} else {
		fmt.Fprintf(p.w, "seed %s: %d %s%s\n", p.name, done, what, rate)
	}
}

// CopyFrom bulk-loads rows with PostgreSQL's COPY on the connection of the
// running seed's transaction, so the rows commit or roll back with the seed.
// It is the fast path for large seed data (hundreds of thousands of rows per
// second); rows written this way bypass ent hooks and the services' audit,
// so use it for plain data only. It fails with ErrNotInSeed outside a seed
// and ErrCopyUnsupported when the Database cannot lend its connection.
func CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	r := runFromContext(ctx)
	if r == nil {
		return 0, fmt.Errorf("%w: CopyFrom into %s needs the context a seed function receives", ErrNotInSeed, table.Sanitize())
	}
	if r.lend == nil {
		return 0, fmt.Errorf("%w (seed %s, table %s): the Database passed to seed.New must implement TxConnLender", ErrCopyUnsupported, r.name, table.Sanitize())
	}
	var n int64
	err := r.lend(ctx, func(conn *pgx.Conn) error {
		var err error
		n, err = conn.CopyFrom(ctx, table, columns, src)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("copy into %s: %w", table.Sanitize(), err)
	}
	return n, nil
}
