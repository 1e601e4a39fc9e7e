package seed

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/central/central/ent"
	"github.com/central/central/ent/appmeta"
	"github.com/central/central/internal/config"
)

// ledger is what the database says: its environment stamp and every
// recorded seed (all environments).
type ledger struct {
	stamp config.Env // "" when unstamped
	rows  []*ent.Seed
}

func (r *Runner[D]) readLedger(ctx context.Context) (ledger, error) {
	c := r.db.Writer(ctx)
	var l ledger
	// The typed query, not QueryContext: *sql.Rows cannot be read from the
	// pgx transaction the seeds run in (internal/pgxdriver).
	metas, err := c.AppMeta.Query().Where(appmeta.ID(AppMetaKey)).All(ctx)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "42P01" { // undefined_table
			return l, fmt.Errorf("seed: read environment stamp: %w (the schema is not migrated: run the migrations before the seeds, e.g. app db migrate)", err)
		}
		return l, fmt.Errorf("seed: read environment stamp: %w", err)
	}
	for _, m := range metas {
		l.stamp = config.Env(m.Value)
	}
	if l.rows, err = c.Seed.Query().All(ctx); err != nil {
		return l, fmt.Errorf("seed: read seed ledger: %w", err)
	}
	return l, nil
}

// plan is the outcome of checking the binary's seeds against the ledger.
type plan[D any] struct {
	pending  []Seed[D]
	warnings []string
}

func (r *Runner[D]) plan(ctx context.Context) (*plan[D], error) {
	l, err := r.readLedger(ctx)
	if err != nil {
		return nil, err
	}
	return r.check(l)
}

// stampOf is the environment the database was seeded for: its stamp, or, for
// a ledger written before stamping, the environment of any foreign row.
func (r *Runner[D]) stampOf(l ledger) config.Env {
	if l.stamp != "" {
		return l.stamp
	}
	for _, row := range l.rows {
		if config.Env(row.Environment) != r.env {
			return config.Env(row.Environment)
		}
	}
	return ""
}

func (r *Runner[D]) check(l ledger) (*plan[D], error) {
	if s := r.stampOf(l); s != "" && s != r.env {
		return nil, &EnvironmentMismatchError{Stamped: s, Current: r.env}
	}
	p := &plan[D]{}
	applied := map[string]*ent.Seed{}
	last := ""
	for _, row := range l.rows {
		if config.Env(row.Environment) != r.env {
			continue
		}
		applied[row.Name] = row
		last = max(last, row.Name)
	}
	var errs []error
	inBinary := map[string]bool{}
	var early []string
	for _, s := range r.seeds {
		inBinary[s.Name] = true
		row, ok := applied[s.Name]
		if !ok {
			p.pending = append(p.pending, s)
			if s.Name < last {
				early = append(early, s.Name)
			}
			continue
		}
		if row.Sha256 != s.SHA256 {
			ce := &ChangedError{Name: s.Name, Env: r.env, Recorded: row.Sha256, Current: s.SHA256}
			if r.o.changed == config.SeedChangedWarn {
				p.warnings = append(p.warnings, ce.Error()+" (SEED_CHANGED=warn: not re-run)")
			} else {
				errs = append(errs, ce)
			}
		}
	}
	var missing []string
	for name := range applied {
		if !inBinary[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		me := &MissingError{Env: r.env, Names: missing}
		if r.env == config.Production {
			errs = append(errs, me)
		} else {
			p.warnings = append(p.warnings, me.Error())
		}
	}
	if len(early) > 0 {
		oe := &OutOfOrderError{Env: r.env, Names: early, LastApplied: last}
		if r.o.outOfOrder {
			p.warnings = append(p.warnings, oe.Error()+" (allowed: running them now)")
		} else {
			errs = append(errs, oe)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// StatusRow is one line of Status: a seed of the binary, the ledger, or both.
type StatusRow struct {
	Name        string
	Environment config.Env
	// AppliedAt is zero for a pending seed.
	AppliedAt time.Time
	// Recorded and Current are the ledger's and the binary's hashes ("" when
	// absent from that side).
	Recorded, Current string
	// HashOK is true when the seed is applied and its file is unchanged.
	HashOK bool
	// Pending is true for a seed the binary has and the ledger lacks.
	Pending bool
	// Missing is true for a seed the ledger records and the binary lacks.
	Missing bool
}

// Status lists the binary's seeds and the ledger's rows for this environment,
// by name, without locking or writing. It fails only if the ledger cannot be
// read or the database was seeded for another environment; problems Run
// would refuse show in the rows (HashOK false, Missing).
func (r *Runner[D]) Status(ctx context.Context) ([]StatusRow, error) {
	l, err := r.readLedger(ctx)
	if err != nil {
		return nil, err
	}
	if s := r.stampOf(l); s != "" && s != r.env {
		return nil, &EnvironmentMismatchError{Stamped: s, Current: r.env}
	}
	byName := map[string]*StatusRow{}
	for _, s := range r.seeds {
		byName[s.Name] = &StatusRow{Name: s.Name, Environment: r.env, Current: s.SHA256, Pending: true}
	}
	for _, row := range l.rows {
		if config.Env(row.Environment) != r.env {
			continue
		}
		st, ok := byName[row.Name]
		if !ok {
			st = &StatusRow{Name: row.Name, Environment: r.env, Missing: true}
			byName[row.Name] = st
		}
		st.Pending = false
		st.AppliedAt = row.AppliedAt
		st.Recorded = row.Sha256
		st.HashOK = st.Current != "" && st.Current == row.Sha256
	}
	out := make([]StatusRow, 0, len(byName))
	for _, st := range byName {
		out = append(out, *st)
	}
	slices.SortFunc(out, func(a, b StatusRow) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out, nil
}
