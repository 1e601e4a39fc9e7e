package migrate

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// AppliedGoStep is one Go step an Up call ran to completion.
type AppliedGoStep struct {
	Version  string
	Name     string
	Batches  int64         // batches committed in total (1 for a Run step)
	Rows     int64         // rows the batches reported
	Resumed  bool          // it continued from a cursor a previous run committed
	Duration time.Duration // this call's share
}

// pendingSteps reads the ledger through q and plans the Go steps; nil when
// the Migrator has none.
func (m *Migrator) pendingSteps(ctx context.Context, q execQuerier, files []string) (*stepPlan, error) {
	if m.stepTx == nil {
		return nil, nil
	}
	rows, err := m.readSteps(ctx, q)
	if err != nil {
		return nil, err
	}
	return m.planSteps(files, rows)
}

// runDueSteps runs, in version order, each pending Go step whose SQL file
// is applied (version at or before upTo). Called under the lock before
// each SQL file and after the last one.
func (m *Migrator) runDueSteps(ctx context.Context, conn execQuerier, sp *stepPlan, res *Result, upTo string) error {
	for sp != nil && len(sp.pending) > 0 && upTo != "" && sp.pending[0].Version <= upTo {
		// The ledger is created when a step first runs, after SQL files
		// applied: atlas refuses a first migration on a database whose
		// revisions schema holds anything but its own table.
		if !sp.ensured {
			if err := m.ensureSteps(ctx, conn); err != nil {
				return err
			}
			sp.ensured = true
		}
		s := sp.pending[0]
		as, err := m.runStep(ctx, s, sp.rows[s.Version])
		if err != nil {
			m.progress("  go step %s_%s: FAILED: %v", s.Version, s.Name, err)
			m.log.Error("Go step failed", zap.String("step", s.Version+"_"+s.Name), zap.Error(err))
			return err
		}
		res.GoSteps = append(res.GoSteps, *as)
		sp.pending = sp.pending[1:]
	}
	return nil
}

func (m *Migrator) runStep(ctx context.Context, s GoStep, prev *stepRow) (*AppliedGoStep, error) {
	start := time.Now()
	row := stepRow{Version: s.Version, Name: s.Name, StartedAt: start.UTC(), Operator: m.operator}
	as := &AppliedGoStep{Version: s.Version, Name: s.Name}
	if prev != nil && (prev.Batches > 0 || prev.Cursor != "") {
		row.Cursor, row.Batches, row.Rows, row.StartedAt = prev.Cursor, prev.Batches, prev.Rows, prev.StartedAt
		as.Resumed = true
		m.progress("  go step %s_%s: resuming after %d batch(es), cursor %q", s.Version, s.Name, row.Batches, row.Cursor)
	}
	prevDuration := time.Duration(0)
	if prev != nil {
		prevDuration = prev.Duration
	}
	if s.Run != nil {
		err := m.stepTx(ctx, func(ctx context.Context, q Querier) error {
			if err := protect(func() error { return s.Run(ctx) }); err != nil {
				return err
			}
			row.Done, row.Batches, row.FinishedAt = true, 1, time.Now().UTC()
			row.Duration = prevDuration + time.Since(start)
			return m.recordStep(ctx, q, &row)
		})
		if err != nil {
			return nil, &GoStepError{Version: s.Version, Name: s.Name, Err: err}
		}
	} else {
		lastReport := time.Now()
		for !row.Done {
			next := row
			err := m.stepTx(ctx, func(ctx context.Context, q Querier) error {
				var (
					cur  string
					n    int64
					done bool
				)
				err := protect(func() (err error) {
					cur, n, done, err = s.Batch(ctx, row.Cursor)
					return err
				})
				if err != nil {
					return err
				}
				if !done && cur == row.Cursor {
					return fmt.Errorf("batch returned the cursor it was given (%q) without being done: it would never finish", cur)
				}
				next.Cursor, next.Rows, next.Batches, next.Done = cur, row.Rows+n, row.Batches+1, done
				next.Duration = prevDuration + time.Since(start)
				if done {
					next.FinishedAt = time.Now().UTC()
				}
				return m.recordStep(ctx, q, &next)
			})
			if err != nil {
				return nil, &GoStepError{Version: s.Version, Name: s.Name, Cursor: row.Cursor, Err: err}
			}
			row = next
			if time.Since(lastReport) >= m.stepReportEvery || row.Done {
				lastReport = time.Now()
				m.progress("  go step %s_%s: %d batch(es), %d row(s), cursor %q", s.Version, s.Name, row.Batches, row.Rows, row.Cursor)
				m.log.Info("Go step progress", zap.String("step", s.Version+"_"+s.Name),
					zap.Int64("batches", row.Batches), zap.Int64("rows", row.Rows), zap.String("cursor", row.Cursor))
			}
		}
	}
	as.Batches, as.Rows, as.Duration = row.Batches, row.Rows, time.Since(start)
	m.progress("  go step %s_%s: ok (%s)", s.Version, s.Name, as.Duration.Round(time.Millisecond))
	m.log.Info("Go step applied", zap.String("step", s.Version+"_"+s.Name), zap.Int64("batches", row.Batches),
		zap.Int64("rows", row.Rows), zap.Bool("resumed", as.Resumed), zap.Duration("duration", as.Duration))
	return as, nil
}

// protect turns a panic of a step into an error, so its transaction rolls
// back and the boot says which step broke.
func protect(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("step panicked: %v", p)
		}
	}()
	return fn()
}
