// Command plot draws the SVG charts of BENCHMARKS.md from `go test -bench`
// output: latency against data size for the scale suite (bench/scale), and
// the boot check's time against the number of applied migrations and seeds.
// It uses only the standard library: the charts are simple line plots with
// a logarithmic x axis.
//
//	go run ./bench/plot -scale bench/results/scale.txt -boot bench/results/boot.txt -out docs/bench
package main

import (
	"bufio"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	scale := flag.String("scale", "", "output of the scale suite (go test ./bench/scale -bench Scale)")
	boot := flag.String("boot", "", "output of the boot-check benchmarks (internal/migrate and internal/seed BootCheckScale)")
	out := flag.String("out", "docs/bench", "directory for the SVG files")
	flag.Parse()
	if *scale == "" && *boot == "" {
		fmt.Fprintln(os.Stderr, "plot: nothing to do: pass -scale and/or -boot with benchmark output files")
		os.Exit(2)
	}
	if err := run(*scale, *boot, *out); err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
}

func run(scalePath, bootPath, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if scalePath != "" {
		res, err := readFile(scalePath)
		if err != nil {
			return err
		}
		charts, err := scaleCharts(res)
		if err != nil {
			return fmt.Errorf("%s: %w", scalePath, err)
		}
		for name, c := range charts {
			if err := writeChart(filepath.Join(out, name), c); err != nil {
				return err
			}
		}
	}
	if bootPath != "" {
		res, err := readFile(bootPath)
		if err != nil {
			return err
		}
		c, err := bootChart(res)
		if err != nil {
			return fmt.Errorf("%s: %w", bootPath, err)
		}
		if err := writeChart(filepath.Join(out, "boot-check.svg"), c); err != nil {
			return err
		}
	}
	return nil
}

// result is one benchmark line: its name, the package it ran in, and its
// metrics by unit (ns/op, p50-us, ...).
type result struct {
	pkg, name string
	metrics   map[string]float64
}

// parsed is a benchmark output file: its results and the suite's
// "scale: settings ..." line, if any.
type parsed struct {
	results  []result
	settings string
}

func readFile(path string) (parsed, error) {
	f, err := os.Open(path)
	if err != nil {
		return parsed{}, err
	}
	defer f.Close()
	return parse(f)
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+\d+\s+(.*)$`)

func parse(r io.Reader) (parsed, error) {
	var p parsed
	pkg := ""
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if s, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = s
			continue
		}
		if s, ok := strings.CutPrefix(line, "scale: settings "); ok {
			p.settings = s
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		f := strings.Fields(m[3])
		if len(f)%2 != 0 {
			return p, fmt.Errorf("malformed benchmark line %q", line)
		}
		res := result{pkg: pkg, name: m[1], metrics: map[string]float64{}}
		for i := 0; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return p, fmt.Errorf("malformed value %q in %q", f[i], line)
			}
			res.metrics[f[i+1]] = v
		}
		p.results = append(p.results, res)
	}
	return p, sc.Err()
}

type point struct{ x, y float64 }

type series struct {
	name   string
	color  string
	dashed bool
	pts    []point
}

type chart struct {
	title, subtitle string
	xLabel, yLabel  string
	series          []series
}

var scaleName = regexp.MustCompile(`^BenchmarkScale/users=(\d+)/(.+)$`)

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"}

// scaleCharts draws the median latency of each operation against the users
// table's size, with the raw pgx median of the same operation dashed, and a
// second chart of the p99.
func scaleCharts(p parsed) (map[string]chart, error) {
	ops := []string{}
	p50 := map[string][]point{}
	pgx := map[string][]point{}
	p99 := map[string][]point{}
	for _, r := range p.results {
		m := scaleName.FindStringSubmatch(r.name)
		if m == nil {
			continue
		}
		n, _ := strconv.ParseFloat(m[1], 64)
		op := m[2]
		if !slices.Contains(ops, op) {
			ops = append(ops, op)
		}
		if v, ok := r.metrics["p50-us"]; ok {
			p50[op] = append(p50[op], point{n, v / 1000})
		}
		if v, ok := r.metrics["pgx-p50-us"]; ok {
			pgx[op] = append(pgx[op], point{n, v / 1000})
		}
		if v, ok := r.metrics["p99-us"]; ok {
			p99[op] = append(p99[op], point{n, v / 1000})
		}
	}
	if len(ops) == 0 {
		return nil, errors.New("no BenchmarkScale results")
	}
	sub := "cluster: " + durability(p.settings)
	med := chart{title: "Latency against data size (median)", subtitle: sub,
		xLabel: "users in the table (1,000 tenants)", yLabel: "ms per operation"}
	tail := chart{title: "Latency against data size (99th percentile)", subtitle: sub,
		xLabel: "users in the table (1,000 tenants)", yLabel: "ms per operation"}
	for i, op := range ops {
		c := palette[i%len(palette)]
		med.series = append(med.series, series{name: op + " (app)", color: c, pts: p50[op]})
		if len(pgx[op]) > 0 {
			med.series = append(med.series, series{name: op + " (raw pgx)", color: c, dashed: true, pts: pgx[op]})
		}
		tail.series = append(tail.series, series{name: op, color: c, pts: p99[op]})
	}
	return map[string]chart{"scale-p50.svg": med, "scale-p99.svg": tail}, nil
}

// durability keeps the settings a reader needs next to the curves.
func durability(settings string) string {
	var keep []string
	for _, f := range strings.Fields(settings) {
		for _, k := range []string{"fsync=", "full_page_writes=", "synchronous_commit=", "shared_buffers="} {
			if strings.HasPrefix(f, k) {
				keep = append(keep, f)
			}
		}
	}
	if len(keep) == 0 {
		return "settings not recorded"
	}
	return strings.Join(keep, " ")
}

var bootName = regexp.MustCompile(`^BenchmarkBootCheckScale/(\d+)$`)

// bootChart draws the boot check's time against the number of applied
// migrations and seeds, one series per package.
func bootChart(p parsed) (chart, error) {
	by := map[string][]point{}
	var pkgs []string
	for _, r := range p.results {
		m := bootName.FindStringSubmatch(r.name)
		if m == nil {
			continue
		}
		n, _ := strconv.ParseFloat(m[1], 64)
		label := "migrations (" + filepath.Base(r.pkg) + ")"
		if filepath.Base(r.pkg) == "seed" {
			label = "seeds (seed)"
		}
		if !slices.Contains(pkgs, label) {
			pkgs = append(pkgs, label)
		}
		by[label] = append(by[label], point{n, r.metrics["ns/op"] / 1e6})
	}
	if len(pkgs) == 0 {
		return chart{}, errors.New("no BenchmarkBootCheckScale results")
	}
	c := chart{title: "Boot check with nothing pending", subtitle: "goal: migrations + seeds ≤ 20 ms at 1,000 of each (median of the runs)",
		xLabel: "applied migrations / seeds", yLabel: "ms per boot check"}
	for i, name := range pkgs {
		c.series = append(c.series, series{name: name, color: palette[i%len(palette)], pts: by[name]})
	}
	return c, nil
}

// SVG layout.
const (
	width, height             = 760.0, 470.0
	left, right, top, bottom  = 70.0, 230.0, 60.0, 60.0
	plotW, plotH              = width - left - right, height - top - bottom
	fontFamily                = "Helvetica, Arial, sans-serif"
	gridColor, axisColor, ink = "#e5e5e5", "#333333", "#222222"
)

func writeChart(path string, c chart) error {
	var b strings.Builder
	if err := render(&b, c); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// medians merges points that share an x (several -count runs) into their
// median, so a line goes through each size once.
func medians(pts []point) []point {
	byX := map[float64][]float64{}
	for _, p := range pts {
		byX[p.x] = append(byX[p.x], p.y)
	}
	out := make([]point, 0, len(byX))
	for x, ys := range byX {
		slices.Sort(ys)
		m := ys[len(ys)/2]
		if len(ys)%2 == 0 {
			m = (ys[len(ys)/2-1] + ys[len(ys)/2]) / 2
		}
		out = append(out, point{x, m})
	}
	slices.SortFunc(out, func(a, b point) int { return cmp.Compare(a.x, b.x) })
	return out
}

func render(w *strings.Builder, c chart) error {
	for i := range c.series {
		c.series[i].pts = medians(c.series[i].pts)
	}
	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymax := 0.0
	for _, s := range c.series {
		for _, p := range s.pts {
			if p.x <= 0 {
				return fmt.Errorf("series %s: x %v is not positive (log axis)", s.name, p.x)
			}
			xmin, xmax = min(xmin, p.x), max(xmax, p.x)
			ymax = max(ymax, p.y)
		}
	}
	if math.IsInf(xmin, 1) {
		return errors.New("no points")
	}
	lx0, lx1 := math.Floor(math.Log10(xmin)), math.Ceil(math.Log10(xmax))
	if lx0 == lx1 {
		lx1++
	}
	yStep := niceStep(ymax / 5)
	yTop := math.Ceil(ymax/yStep) * yStep
	if yTop == 0 {
		yTop = 1
	}
	px := func(x float64) float64 { return left + (math.Log10(x)-lx0)/(lx1-lx0)*plotW }
	py := func(y float64) float64 { return top + plotH - y/yTop*plotH }

	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="%s">`+"\n", width, height, width, height, fontFamily)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(w, `<text x="%.0f" y="24" font-size="17" font-weight="bold" fill="%s">%s</text>`+"\n", left, ink, esc(c.title))
	fmt.Fprintf(w, `<text x="%.0f" y="42" font-size="11" fill="#555">%s</text>`+"\n", left, esc(c.subtitle))
	// Grid and ticks.
	for y := 0.0; y <= yTop+yStep/2; y += yStep {
		fmt.Fprintf(w, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`+"\n", left, py(y), left+plotW, py(y), gridColor)
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="end" fill="%s">%s</text>`+"\n", left-6, py(y)+4, ink, fmtNum(y))
	}
	for e := lx0; e <= lx1; e++ {
		x := px(math.Pow(10, e))
		fmt.Fprintf(w, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`+"\n", x, top, x, top+plotH, gridColor)
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle" fill="%s">10<tspan dy="-5" font-size="8">%d</tspan></text>`+"\n", x, top+plotH+16, ink, int(e))
	}
	fmt.Fprintf(w, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`+"\n", left, top+plotH, left+plotW, top+plotH, axisColor)
	fmt.Fprintf(w, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`+"\n", left, top, left, top+plotH, axisColor)
	fmt.Fprintf(w, `<text x="%.1f" y="%.1f" font-size="12" text-anchor="middle" fill="%s">%s</text>`+"\n", left+plotW/2, height-18, ink, esc(c.xLabel))
	fmt.Fprintf(w, `<text x="16" y="%.1f" font-size="12" text-anchor="middle" fill="%s" transform="rotate(-90 16 %.1f)">%s</text>`+"\n", top+plotH/2, ink, top+plotH/2, esc(c.yLabel))
	// Series and legend.
	for i, s := range c.series {
		pts := slices.Clone(s.pts)
		slices.SortFunc(pts, func(a, b point) int { return cmp.Compare(a.x, b.x) })
		var path []string
		for _, p := range pts {
			path = append(path, fmt.Sprintf("%.1f,%.1f", px(p.x), py(p.y)))
		}
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(w, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", strings.Join(path, " "), s.color, dash)
		for _, p := range pts {
			fmt.Fprintf(w, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s: %s ms at %s</title></circle>`+"\n", px(p.x), py(p.y), s.color, esc(s.name), fmtNum(p.y), fmtNum(p.x))
		}
		ly := top + 10 + float64(i)*20
		lx := left + plotW + 18
		fmt.Fprintf(w, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"%s/>`+"\n", lx, ly, lx+26, ly, s.color, dash)
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f" font-size="11" fill="%s">%s</text>`+"\n", lx+32, ly+4, ink, esc(s.name))
	}
	fmt.Fprintln(w, `</svg>`)
	return nil
}

// niceStep rounds a raw tick step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
