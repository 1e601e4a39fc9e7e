package dbtest

import (
	"context"
	"testing"
)

// BenchmarkNew measures cloning a per-test database from a ready template
// (and dropping it).
func BenchmarkNew(b *testing.B) {
	h, err := shared.harness()
	if err != nil {
		b.Fatal(err)
	}
	h.New(b) // the template exists from here on
	for _, strategy := range []string{"FILE_COPY", "WAL_LOG"} {
		b.Run(strategy, func(b *testing.B) {
			old := h.strategy
			h.strategy = strategy
			defer func() { h.strategy = old }()
			for b.Loop() {
				sub := &subTB{TB: b}
				h.New(sub)
				sub.cleanup()
			}
		})
	}
}

// subTB runs cleanups at the end of each iteration instead of the benchmark.
type subTB struct {
	testing.TB
	fns []func()
}

func (s *subTB) Cleanup(f func()) { s.fns = append(s.fns, f) }
func (s *subTB) cleanup() {
	for i := len(s.fns) - 1; i >= 0; i-- {
		s.fns[i]()
	}
}

var _ = context.Background
