package seedengine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestReporterCount walks one reporter (interval 10 s) through the edges of
// Count on a scripted clock. Mutants it catches (each lived before):
// `now.Sub(p.last) < p.every` made `<=` (nothing printed exactly one
// interval later), `total <= 0` made `< 0` (an unknown total printed inside
// the interval), `done < total` made `<=` (the final count swallowed
// inside the interval), `total > 0` made `>=` (an unknown total printed as
// "5/0 rows (+Inf%)"), the rate's `el > 0` negated or made `>=` (a rate of
// +Inf at elapsed 0) and the rate dropped.
func TestReporterCount(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	var out bytes.Buffer
	p := newReporter("s", &out, func() time.Time { return now }, 10*time.Second)
	steps := []struct {
		at          time.Duration
		done, total int64
		want        string // "" prints nothing
	}{
		{0, 3, 3, "seed s: 3/3 rows (100%)\n"},                                  // done: printed; elapsed 0, no rate
		{5 * time.Second, 4, 10, ""},                                            // inside the interval
		{10 * time.Second, 50, 100, "seed s: 50/100 rows (50%), 5 rows/s\n"},    // exactly one interval later
		{12 * time.Second, 100, 100, "seed s: 100/100 rows (100%), 8 rows/s\n"}, // done, inside the interval
		{13 * time.Second, 5, 0, ""},                                            // unknown total, inside the interval
		{30 * time.Second, 60, 0, "seed s: 60 rows, 2 rows/s\n"},                // unknown total, after it
	}
	for _, st := range steps {
		now = t0.Add(st.at)
		out.Reset()
		p.Count("rows", st.done, st.total)
		if out.String() != st.want {
			t.Errorf("at %s Count(%d, %d) printed %q, want %q", st.at, st.done, st.total, out.String(), st.want)
		}
	}
}

// TestCopyErrorNamesTheContext: pgx reports a copy cut short by the
// context as whatever the connection said when its deadline fired, which
// depends on timing (TestCopyTenantRefusals saw "use of closed network
// connection"). copyError must name the context's reason whatever pgx said,
// and leave other errors alone.
func TestCopyErrorNamesTheContext(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	wire := errors.New("write failed: write tcp 127.0.0.1:1->127.0.0.1:2: use of closed network connection")
	tests := []struct {
		name     string
		ctx      context.Context
		err      error
		canceled bool
	}{
		{"closed connection after cancel", canceled, wire, true},
		{"pgx already said canceled", canceled, fmt.Errorf("copy: %w", context.Canceled), true},
		{"live context", context.Background(), wire, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := copyError(tt.ctx, tt.err)
			if errors.Is(got, context.Canceled) != tt.canceled || !strings.Contains(got.Error(), tt.err.Error()) {
				t.Errorf("copyError = %v; want context.Canceled matched: %v, and the original message kept", got, tt.canceled)
			}
		})
	}
}
