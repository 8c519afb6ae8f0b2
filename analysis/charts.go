package analysis

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

var (
	green = color.RGBA{R: 46, G: 139, B: 87, A: 255}
	red   = color.RGBA{R: 200, G: 40, B: 40, A: 255}
	grey  = color.RGBA{R: 120, G: 120, B: 120, A: 255}
	blue  = color.RGBA{R: 50, G: 90, B: 170, A: 255}
)

// svgFn, when set, replaces SVG rendering (tests save PNGs to look at).
var svgFn func(p *plot.Plot) error

// svg renders p as inline SVG.
func svg(p *plot.Plot) (template.HTML, error) {
	if svgFn != nil {
		return "", svgFn(p)
	}
	wt, err := p.WriterTo(6*vg.Inch, 3.2*vg.Inch, "svg")
	if err != nil {
		return "", fmt.Errorf("analysis: chart: %w", err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("analysis: chart: %w", err)
	}
	s := buf.String()
	// Drop the XML prolog so the SVG can sit inside HTML.
	if i := strings.Index(s, "<svg"); i > 0 {
		s = s[i:]
	}
	return template.HTML(s), nil
}

func line(p *plot.Plot, pts plotter.XYs, c color.Color, name string) error {
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	l.Color = c
	l.Width = vg.Points(1.5)
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

// timelineChart plots outcomes per second: 2xx, 429 and other.
func timelineChart(r *Run) (template.HTML, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("outcomes per %g s", r.TimelineBin)
	p.X.Label.Text = "seconds since start"
	p.Y.Label.Text = "responses"
	p.Legend.Top = true
	ok, thr, other := make(plotter.XYs, len(r.Timeline)), make(plotter.XYs, len(r.Timeline)), make(plotter.XYs, len(r.Timeline))
	for i, s := range r.Timeline {
		x := s.T
		ok[i] = plotter.XY{X: x, Y: float64(s.OK)}
		thr[i] = plotter.XY{X: x, Y: float64(s.Throttled)}
		other[i] = plotter.XY{X: x, Y: float64(s.Other)}
	}
	if len(r.Timeline) == 0 {
		ok, thr, other = plotter.XYs{{}}, plotter.XYs{{}}, plotter.XYs{{}}
	}
	for _, l := range []struct {
		pts plotter.XYs
		c   color.Color
		n   string
	}{{ok, green, "2xx"}, {thr, red, "429"}, {other, grey, "other"}} {
		if err := line(p, l.pts, l.c, l.n); err != nil {
			return "", err
		}
	}
	return svg(p)
}

// histChart plots how many 429s carried each Retry-After value.
func histChart(r *Run) (template.HTML, error) {
	p := plot.New()
	p.Title.Text = "Retry-After values on 429s"
	p.Y.Label.Text = "429s"
	p.Y.Min = 0
	rows := histRows(r.RetryAfter.Histogram)
	vals := make(plotter.Values, len(rows))
	labels := make([]string, len(rows))
	for i, row := range rows {
		labels[i] = row[0]
		fmt.Sscan(row[1], &vals[i])
	}
	if len(rows) == 0 {
		vals, labels = plotter.Values{0}, []string{"no 429s"}
	}
	b, err := plotter.NewBarChart(vals, vg.Points(18))
	if err != nil {
		return "", err
	}
	b.Color = red
	p.Add(b)
	p.NominalX(labels...)
	return svg(p)
}

// cdfChart plots the operation latency distribution.
func cdfChart(r *Run) (template.HTML, error) {
	p := plot.New()
	p.Title.Text = "operation latency (from intended start)"
	p.X.Label.Text = "seconds"
	p.Y.Label.Text = "fraction of operations"
	n := len(r.Latencies)
	step := max(1, n/400)
	var pts plotter.XYs
	for i := 0; i < n; i += step {
		pts = append(pts, plotter.XY{X: r.Latencies[i], Y: float64(i+1) / float64(n)})
	}
	pts = append(pts, plotter.XY{X: r.Latencies[n-1], Y: 1})
	if err := line(p, pts, blue, "CDF"); err != nil {
		return "", err
	}
	p.Legend.Top = false
	return svg(p)
}

// ComparisonChart renders, as inline SVG, operation success and attempt
// success per run, labelled by strategy.
func ComparisonChart(runs []*Run) (template.HTML, error) { return compareChart(runs) }

// compareChart plots success rate and attempt success per run.
func compareChart(runs []*Run) (template.HTML, error) {
	p := plot.New()
	p.Title.Text = "per-strategy comparison"
	p.Y.Label.Text = "fraction"
	p.Y.Min, p.Y.Max = 0, 1.3 // headroom for the legend
	succ, att := make(plotter.Values, len(runs)), make(plotter.Values, len(runs))
	labels := make([]string, len(runs))
	for i, r := range runs {
		succ[i], att[i], labels[i] = r.Metrics.SuccessRate, r.Metrics.AttemptSuccess, runName(r)
	}
	w := vg.Points(10)
	b1, err := plotter.NewBarChart(succ, w)
	if err != nil {
		return "", err
	}
	b1.Color, b1.Offset = green, -w/2
	b2, err := plotter.NewBarChart(att, w)
	if err != nil {
		return "", err
	}
	b2.Color, b2.Offset = blue, w/2
	p.Add(b1, b2)
	p.Legend.Add("operation success", b1)
	p.Legend.Add("attempt success", b2)
	p.Legend.Top = true
	p.NominalX(labels...)
	p.X.Tick.Label.Rotation = 0.6
	p.X.Tick.Label.XAlign = -0.8
	return svg(p)
}
