package main

import (
	"strings"
	"testing"
)

const sample = `scale: settings fsync=on full_page_writes=on synchronous_commit=on
pkg: github.com/central/central/bench/scale
BenchmarkScale/users=1000/get-by-id-2     1000   1734416 ns/op  1.04 ent/pgx-p50  411.5 p50-us  8573 p99-us  394.0 pgx-p50-us  1.000 rows/op
BenchmarkScale/users=1000000/get-by-id-2  1000   734211 ns/op   1.03 ent/pgx-p50  287.2 p50-us  3473 p99-us  277.6 pgx-p50-us  1.000 rows/op
BenchmarkScale/users=1000/create-2        1000   1145342 ns/op  664.1 p50-us  9865 p99-us  1.000 rows/op
BenchmarkScale/users=1000/profile-filter-2  300  1251931 ns/op  1.467 ent/pgx-p50  318.6 p50-us  4488 p99-us  217.2 pgx-p50-us  0.1133 rows/op
BenchmarkScale/users=100000/profile-filter-2 300 4263389 ns/op  1.404 ent/pgx-p50  1504 p50-us  9744 p99-us  1072 pgx-p50-us  10.00 rows/op
pkg: github.com/central/central/internal/seed
BenchmarkBootCheckScale/10-2   200   252527 ns/op
BenchmarkBootCheckScale/1000-2 200  7851387 ns/op
`

func TestParseAndRender(t *testing.T) {
	p, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.results) != 7 || p.settings != "fsync=on full_page_writes=on synchronous_commit=on" {
		t.Fatalf("parsed %d results, settings %q", len(p.results), p.settings)
	}
	if got := p.results[1].metrics["p50-us"]; got != 287.2 {
		t.Errorf("p50-us = %v", got)
	}
	charts, err := scaleCharts(p)
	if err != nil {
		t.Fatal(err)
	}
	med := charts["scale-p50.svg"]
	// get-by-id (app), get-by-id (raw pgx), create (app): create has no raw
	// path; profile-filter (app) and (raw pgx), the JSONB filter.
	if len(med.series) != 5 || med.series[0].name != "get-by-id (app)" || len(med.series[0].pts) != 2 {
		t.Fatalf("series %+v", med.series)
	}
	if pf := med.series[3]; pf.name != "profile-filter (app)" || len(pf.pts) != 2 || pf.pts[1] != (point{100000, 1.504}) {
		t.Fatalf("profile filter series %+v", pf)
	}
	var b strings.Builder
	if err := render(&b, med); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	for _, want := range []string{"<svg", "get-by-id (raw pgx)", "profile-filter (app)", "stroke-dasharray", "fsync=on", "</svg>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	boot, err := bootChart(p)
	if err != nil || len(boot.series) != 1 || boot.series[0].name != "seeds (seed)" || boot.series[0].pts[1].y != 7.851387 {
		t.Fatalf("boot chart %+v, %v", boot, err)
	}
}

func TestRejects(t *testing.T) {
	if _, err := parse(strings.NewReader("BenchmarkX-2 10 5 ns/op 3\n")); err == nil {
		t.Error("odd metric fields accepted")
	}
	if _, err := scaleCharts(parsed{}); err == nil {
		t.Error("empty scale input accepted")
	}
	var b strings.Builder
	if err := render(&b, chart{series: []series{{name: "x", pts: []point{{0, 1}}}}}); err == nil {
		t.Error("x = 0 accepted on a log axis")
	}
}

func TestMediansMergeRuns(t *testing.T) {
	got := medians([]point{{10, 3}, {100, 5}, {10, 1}, {10, 2}, {100, 7}})
	want := []point{{10, 2}, {100, 6}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("medians = %v, want %v", got, want)
	}
}
