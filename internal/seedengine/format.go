package seedengine

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteStatus prints Status rows as a table (`app db seed status`): name,
// environment, applied at (or "pending"), and the hash state: ok, CHANGED
// (the file differs from the recorded hash), MISSING (recorded, not in this
// binary) or "-" for a pending seed.
func WriteStatus(w io.Writer, rows []StatusRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tENVIRONMENT\tAPPLIED AT\tHASH")
	for _, r := range rows {
		applied := "pending"
		if !r.AppliedAt.IsZero() {
			applied = r.AppliedAt.UTC().Format(time.RFC3339)
		}
		hash := "-"
		switch {
		case r.Missing:
			hash = "MISSING"
		case r.Pending:
		case r.HashOK:
			hash = "ok"
		default:
			hash = "CHANGED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Environment, applied, hash)
	}
	return tw.Flush()
}

// String summarises the report in one line, e.g. "development: applied
// 0001_technova (12ms); nothing pending".
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ", r.Env)
	if len(r.Applied) == 0 {
		b.WriteString("applied nothing")
	} else {
		b.WriteString("applied ")
		for i, a := range r.Applied {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s (%s)", a.Name, a.Duration.Round(time.Millisecond))
		}
	}
	if len(r.Pending) == 0 {
		b.WriteString("; nothing pending")
	} else {
		fmt.Fprintf(&b, "; pending: %s", strings.Join(r.Pending, ", "))
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintf(&b, "; %d warning(s)", len(r.Warnings))
	}
	return b.String()
}
