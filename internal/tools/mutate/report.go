package main

import (
	"fmt"
	"strings"
	"time"
)

// summary renders the results as the Markdown of docs/mutation.md.
func summary(results []*pkgResult) string {
	var b strings.Builder
	b.WriteString("| package | mutants | killed | timed out | lived | not covered | not viable | score | score before the new tests | clean run | total |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range results {
		c := p.count()
		before := "–"
		if s, ok := p.ScoreBefore(); ok {
			before = fmt.Sprintf("%.1f %%", 100*s)
		}
		name := strings.TrimPrefix(p.Pkg, "github.com/central/central/")
		if p.Sampled > 0 {
			name += fmt.Sprintf(" (random sample: %d of %d mutants, seed %d)", p.Sampled, p.All, p.Seed)
		}
		if p.Left > 0 {
			name += fmt.Sprintf(" (incomplete: %d mutants not run)", p.Left)
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d | %.1f %% | %s | %s | %s |\n",
			name, len(p.Results)-c[NotViable],
			c[Killed], c[TimedOut], c[Lived], c[NotCovered], c[NotViable], 100*p.Score(), before,
			p.Clean.Round(time.Second), p.Duration.Round(time.Second))
	}
	b.WriteString("\nscore = (killed + timed out) ÷ (killed + timed out + lived + not covered)\n")
	for _, p := range results {
		var lines []string
		for _, r := range p.Results {
			if r.Outcome == Lived || r.Outcome == NotCovered {
				lines = append(lines, fmt.Sprintf("- %s: %s", r.Outcome, r.Mutant))
			}
		}
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n### %s: surviving mutants\n\n%s\n", strings.TrimPrefix(p.Pkg, "github.com/central/central/"), strings.Join(lines, "\n"))
	}
	return b.String()
}
