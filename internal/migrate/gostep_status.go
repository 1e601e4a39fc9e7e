package migrate

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// GoStepState is where a Go step stands.
type GoStepState string

// The states of a Go step; the strings are what status prints.
const (
	GoStepPending    GoStepState = "pending"
	GoStepInProgress GoStepState = "in progress" // a batched step with committed batches
	GoStepApplied    GoStepState = "applied"
	GoStepMissing    GoStepState = "missing" // recorded in the ledger, not in this binary
)

// GoStepStatus is one Go step of the binary or the ledger.
type GoStepStatus struct {
	Version, Name string
	State         GoStepState
	Batches       int64
	Rows          int64
	Cursor        string
	FinishedAt    time.Time // zero unless applied
	Duration      time.Duration
}

// stepStatus lists the binary's steps and the ledger's rows by version,
// with the problem Up would refuse them with (problem), or fails to read
// the ledger (err).
func (m *Migrator) stepStatus(ctx context.Context, files []string) (steps []GoStepStatus, problem, err error) {
	if m.stepTx == nil {
		return nil, nil, nil
	}
	rows, err := m.readSteps(ctx, m.db)
	if err != nil {
		return nil, nil, err
	}
	_, problem = m.planSteps(files, rows)
	byVersion := map[string]*stepRow{}
	for _, r := range rows {
		byVersion[r.Version] = r
	}
	inBinary := map[string]bool{}
	for _, s := range m.steps {
		inBinary[s.Version] = true
		st := GoStepStatus{Version: s.Version, Name: s.Name, State: GoStepPending}
		if r := byVersion[s.Version]; r != nil {
			st.Batches, st.Rows, st.Cursor, st.Duration = r.Batches, r.Rows, r.Cursor, r.Duration
			switch {
			case r.Done:
				st.State, st.FinishedAt = GoStepApplied, r.FinishedAt
			case r.Batches > 0:
				st.State = GoStepInProgress
			}
		}
		steps = append(steps, st)
	}
	for _, r := range rows {
		if !inBinary[r.Version] {
			steps = append(steps, GoStepStatus{Version: r.Version, Name: r.Name, State: GoStepMissing, Batches: r.Batches, Rows: r.Rows, FinishedAt: r.FinishedAt})
		}
	}
	return steps, problem, nil
}

// WouldRun lists, in the order Up runs them, the pending SQL files and Go
// steps (`app db migrate --dry-run`).
func (r *Report) WouldRun() []string {
	var out []string
	steps := r.pendingSteps()
	for _, f := range r.Pending {
		for len(steps) > 0 && steps[0].Version < f.Version {
			out = append(out, steps[0].line())
			steps = steps[1:]
		}
		out = append(out, f.Name)
	}
	for _, s := range steps {
		out = append(out, s.line())
	}
	return out
}

// PendingCount is how many SQL files and Go steps Up would run: what
// readiness reports as pending.
func (r *Report) PendingCount() int { return len(r.Pending) + len(r.pendingSteps()) }

func (r *Report) pendingSteps() []GoStepStatus {
	var out []GoStepStatus
	for _, s := range r.GoSteps {
		if s.State == GoStepPending || s.State == GoStepInProgress {
			out = append(out, s)
		}
	}
	return out
}

func (s GoStepStatus) line() string {
	if s.State == GoStepInProgress {
		return fmt.Sprintf("go step %s_%s (resume after %d batch(es), cursor %q)", s.Version, s.Name, s.Batches, s.Cursor)
	}
	return fmt.Sprintf("go step %s_%s", s.Version, s.Name)
}

// goStepsString renders the Go steps for Report.String.
func (r *Report) goStepsString() string {
	if len(r.GoSteps) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("go data migrations:\n")
	for _, s := range r.GoSteps {
		switch s.State {
		case GoStepApplied:
			fmt.Fprintf(&b, "  %s_%s  applied  %s  %s  %d batch(es), %d row(s)\n", s.Version, s.Name,
				s.FinishedAt.UTC().Format(time.RFC3339), s.Duration.Round(time.Millisecond), s.Batches, s.Rows)
		case GoStepInProgress:
			fmt.Fprintf(&b, "  %s_%s  IN PROGRESS: %d batch(es), %d row(s), resumes after cursor %q\n", s.Version, s.Name, s.Batches, s.Rows, s.Cursor)
		case GoStepMissing:
			fmt.Fprintf(&b, "  %s_%s  applied, NOT IN THIS BINARY\n", s.Version, s.Name)
		default:
			fmt.Fprintf(&b, "  %s_%s  pending\n", s.Version, s.Name)
		}
	}
	return b.String()
}
