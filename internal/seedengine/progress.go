package seedengine

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/central/central/internal/tenantctx"
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

// CopyOption changes how CopyFrom loads rows.
type CopyOption func(*copyOptions)

type copyOptions struct{ revalidateFKs bool }

// RevalidateForeignKeys makes CopyFrom drop the table's foreign keys before
// the COPY and add them back after it, inside the seed's transaction.
// PostgreSQL then checks every copied row against its parent in one set-based
// validation instead of one trigger call per row, which roughly doubles the
// rate into tables with a foreign key. Integrity is unchanged: a row without
// its parent fails the re-added constraint and the whole seed rolls back.
// The price is an ACCESS EXCLUSIVE lock on the table (and a SHARE ROW
// EXCLUSIVE lock on each referenced table) until the seed commits, which is
// fine at boot and in `app db seed`, not on a busy table. The role must own
// the table, as the migrating role does.
func RevalidateForeignKeys() CopyOption {
	return func(o *copyOptions) { o.revalidateFKs = true }
}

// CopyFrom bulk-loads rows with PostgreSQL's COPY on the connection of the
// running seed's transaction, so the rows commit or roll back with the seed.
// It is the fast path for large seed data (hundreds of thousands of rows per
// second, see RevalidateForeignKeys); rows written this way bypass ent hooks
// and the services' audit, so use it for plain data only. It fails with
// ErrNotInSeed outside a seed and ErrCopyUnsupported when the Database cannot
// lend its connection.
//
// Tables under row-level security (every tenant-owned table) take rows of
// one tenant per call, named by ctx (tenantctx.With): they are staged and
// moved under the table's policy, so a row of another tenant fails the
// seed. Without a tenant such a COPY fails with ErrCopyNeedsTenant.
func CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource, opts ...CopyOption) (int64, error) {
	r := runFromContext(ctx)
	if r == nil {
		return 0, fmt.Errorf("%w: CopyFrom into %s needs the context a seed function receives", ErrNotInSeed, table.Sanitize())
	}
	if r.lend == nil {
		return 0, fmt.Errorf("%w (seed %s, table %s): the Database passed to seed.New must implement TxConnLender", ErrCopyUnsupported, r.name, table.Sanitize())
	}
	var o copyOptions
	for _, opt := range opts {
		opt(&o)
	}
	var n int64
	err := r.lend(ctx, func(conn *pgx.Conn) error {
		var fks []foreignKey
		if o.revalidateFKs {
			var err error
			if fks, err = dropForeignKeys(ctx, conn, table); err != nil {
				return err
			}
		}
		var err error
		id, scoped := tenantctx.From(ctx)
		if scoped {
			n, err = copyTenant(ctx, conn, id, table, columns, src)
		} else {
			n, err = conn.CopyFrom(ctx, table, columns, src)
		}
		if err != nil {
			return copyError(ctx, err)
		}
		if err := addForeignKeys(ctx, conn, table, fks); err != nil {
			return err
		}
		if scoped {
			return clearTenant(ctx, conn)
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("copy into %s: %w", table.Sanitize(), err)
	}
	return n, nil
}

type foreignKey struct{ name, def string }

func dropForeignKeys(ctx context.Context, conn *pgx.Conn, table pgx.Identifier) ([]foreignKey, error) {
	rows, err := conn.Query(ctx, `SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
		WHERE conrelid = $1::regclass AND contype = 'f' ORDER BY conname`, table.Sanitize())
	if err != nil {
		return nil, fmt.Errorf("list foreign keys: %w", err)
	}
	fks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (foreignKey, error) {
		var fk foreignKey
		return fk, row.Scan(&fk.name, &fk.def)
	})
	if err != nil {
		return nil, fmt.Errorf("list foreign keys: %w", err)
	}
	for _, fk := range fks {
		if _, err := conn.Exec(ctx, "ALTER TABLE "+table.Sanitize()+" DROP CONSTRAINT "+pgx.Identifier{fk.name}.Sanitize()); err != nil {
			return nil, fmt.Errorf("drop foreign key %s for the copy: %w", fk.name, err)
		}
	}
	return fks, nil
}

func addForeignKeys(ctx context.Context, conn *pgx.Conn, table pgx.Identifier, fks []foreignKey) error {
	for _, fk := range fks {
		if _, err := conn.Exec(ctx, "ALTER TABLE "+table.Sanitize()+" ADD CONSTRAINT "+pgx.Identifier{fk.name}.Sanitize()+" "+fk.def); err != nil {
			return fmt.Errorf("re-add foreign key %s after the copy (a copied row has no parent?): %w", fk.name, err)
		}
	}
	return nil
}
