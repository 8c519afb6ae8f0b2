package analysis

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

var (
	green  = color.RGBA{R: 46, G: 139, B: 87, A: 255}
	red    = color.RGBA{R: 200, G: 40, B: 40, A: 255}
	grey   = color.RGBA{R: 120, G: 120, B: 120, A: 255}
	blue   = color.RGBA{R: 50, G: 90, B: 170, A: 255}
	orange = color.RGBA{R: 230, G: 140, B: 20, A: 255}
	purple = color.RGBA{R: 130, G: 70, B: 160, A: 255}
)

// palette colours one series per run where several share an axis.
var palette = []color.Color{blue, orange, green, red, purple, grey,
	color.RGBA{R: 0, G: 150, B: 160, A: 255}, color.RGBA{R: 160, G: 110, B: 60, A: 255}}

// svgFn, when set, replaces SVG rendering (tests save PNGs to look at).
var svgFn func(p *plot.Plot) error

// chartW and chartH are one chart's size.
const (
	chartW = 6 * vg.Inch
	chartH = 3.2 * vg.Inch
)

// sans is the charts' typeface; the browser falls back to its own sans
// serif when Liberation Sans is not installed (see inline).
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// newPlot is a plot styled for the reports: sans-serif text, a light
// grid, axis labels with their units.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	p.Title.TextStyle.Font = font.From(sans, 11)
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = font.From(sans, 10)
		ax.Tick.Label.Font = font.From(sans, 9)
	}
	p.Legend.TextStyle.Font = font.From(sans, 9)
	p.X.Tick.Marker, p.Y.Tick.Marker = shortTicks{}, shortTicks{}
	p.Legend.Top = true
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = color.Gray{Y: 225}, color.Gray{Y: 225}
	p.Add(g)
	return p
}

// svg renders p as inline SVG.
func svg(p *plot.Plot) (template.HTML, error) { return svgSized(p, chartW, chartH) }

// svgSized renders p as inline SVG of size w × h.
func svgSized(p *plot.Plot, w, h vg.Length) (template.HTML, error) {
	if svgFn != nil {
		return "", svgFn(p)
	}
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	return inline(c)
}

// svgGrid renders plots as one SVG of cols columns, the panels aligned.
func svgGrid(plots []*plot.Plot, cols int, panelH vg.Length) (template.HTML, error) {
	if svgFn != nil {
		for _, p := range plots {
			if err := svgFn(p); err != nil {
				return "", err
			}
		}
		return "", nil
	}
	rows := (len(plots) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
	}
	for i, p := range plots {
		grid[i/cols][i%cols] = p
	}
	w := chartW
	if cols > 1 {
		w = vg.Length(cols) * 3.4 * vg.Inch
	}
	c := vgsvg.New(w, vg.Length(rows)*panelH)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(6), PadY: vg.Points(6), PadTop: vg.Points(2), PadBottom: vg.Points(2)}
	canvases := plot.Align(grid, tiles, draw.New(c))
	for i, row := range grid {
		for j, p := range row {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	return inline(c)
}

// inline is c's SVG without the XML prolog, so it can sit inside HTML,
// with a generic fallback for the typeface.
func inline(c *vgsvg.Canvas) (template.HTML, error) {
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("analysis: chart: %w", err)
	}
	s := buf.String()
	if i := strings.Index(s, "<svg"); i > 0 {
		s = s[i:]
	}
	s = strings.ReplaceAll(s, "font-family:Liberation Sans;", "font-family:Liberation Sans,Helvetica,Arial,sans-serif;")
	return template.HTML(s), nil
}

func line(p *plot.Plot, pts plotter.XYs, c color.Color, name string) error {
	if len(pts) == 0 {
		pts = plotter.XYs{{}}
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	l.Color = c
	l.Width = vg.Points(1.5)
	p.Add(l)
	if name != "" {
		p.Legend.Add(name, l)
	}
	return nil
}

// secs formats a bin width: "0.2 s", "1 s", "5 s".
func secs(w float64) string { return fmt.Sprintf("%g s", w) }

// timelineAxes are the axes several timelines share.
type timelineAxes struct {
	bin, from, to, ymax float64
}

// sharedAxes is one bin width (about 120 bins at most over the longest
// run, a round width from timelineWidths) and one range for runs.
func sharedAxes(runs []*Run) timelineAxes {
	var ax timelineAxes
	for _, r := range runs {
		if len(r.Timeline) > 0 {
			ax.to = max(ax.to, r.Timeline[len(r.Timeline)-1].T+r.TimelineBin)
		}
	}
	ax.bin = 0.1
	for _, w := range timelineWidths {
		ax.bin = float64(w) / 10
		if ax.to/ax.bin < 120 {
			break
		}
	}
	ax.to = math.Ceil(ax.to/ax.bin) * ax.bin
	for _, r := range runs {
		for _, b := range rebin(r, ax.bin, ax.from, ax.to) {
			ax.ymax = max(ax.ymax, float64(max(b.OK, b.Throttled, b.Other)))
		}
	}
	return ax
}

// timelinePlot plots a run's outcomes per bin on ax.
func timelinePlot(r *Run, title string, ax timelineAxes, legend bool) (*plot.Plot, error) {
	p := newPlot(title, "seconds since start", "responses per "+secs(ax.bin))
	bins := rebin(r, ax.bin, ax.from, ax.to)
	ok, thr, other := make(plotter.XYs, len(bins)), make(plotter.XYs, len(bins)), make(plotter.XYs, len(bins))
	for i, b := range bins {
		x := b.T + ax.bin/2
		ok[i] = plotter.XY{X: x, Y: float64(b.OK)}
		thr[i] = plotter.XY{X: x, Y: float64(b.Throttled)}
		other[i] = plotter.XY{X: x, Y: float64(b.Other)}
	}
	for _, l := range []struct {
		pts plotter.XYs
		c   color.Color
		n   string
	}{{ok, green, "2xx"}, {thr, red, "429"}, {other, grey, "other"}} {
		n := l.n
		if !legend {
			n = ""
		}
		if err := line(p, l.pts, l.c, n); err != nil {
			return nil, err
		}
	}
	p.X.Min, p.X.Max = ax.from, ax.to
	p.Y.Min, p.Y.Max = 0, math.Max(1, ax.ymax*1.15)
	return p, nil
}

// timelineChart plots a run's outcomes per bin, on axes shared with the
// runs it is compared with.
func timelineChart(r *Run, ax timelineAxes) (template.HTML, error) {
	p, err := timelinePlot(r, "outcomes per "+secs(ax.bin), ax, true)
	if err != nil {
		return "", err
	}
	return svg(p)
}

// TimelineGrid renders one small outcome timeline per run, titled by
// names, on one bin width and one pair of axes, three to a row.
func TimelineGrid(names []string, runs []*Run) (template.HTML, error) {
	ax := sharedAxes(runs)
	var plots []*plot.Plot
	for i, r := range runs {
		p, err := timelinePlot(r, names[i], ax, i == 0)
		if err != nil {
			return "", err
		}
		p.X.Label.Text, p.Y.Label.Text = "s", "per "+secs(ax.bin)
		plots = append(plots, p)
	}
	if len(plots) == 0 {
		return "", nil
	}
	return svgGrid(plots, min(3, len(plots)), 1.9*vg.Inch)
}

// cdfChart plots the runs' operation latency distributions on one axis.
func cdfChart(runs []*Run) (template.HTML, error) {
	p := newPlot("operation latency (from intended start)", "latency (s)", "fraction of operations ≤ latency")
	p.Legend.Top, p.Legend.Left = false, false
	p.Y.Min, p.Y.Max = 0, 1
	for i, r := range runs {
		n := len(r.Latencies)
		if n == 0 {
			continue
		}
		step := max(1, n/400)
		var pts plotter.XYs
		for j := 0; j < n; j += step {
			pts = append(pts, plotter.XY{X: r.Latencies[j], Y: float64(j+1) / float64(n)})
		}
		pts = append(pts, plotter.XY{X: r.Latencies[n-1], Y: 1})
		name := runName(r)
		if len(runs) == 1 {
			name = "CDF"
		}
		if err := line(p, pts, palette[i%len(palette)], name); err != nil {
			return "", err
		}
	}
	p.X.Min = 0
	return svg(p)
}

// ComparisonChart renders, as inline SVG, operation success and attempt
// success per run, labelled by strategy.
func ComparisonChart(runs []*Run) (template.HTML, error) { return compareChart(runs) }

// compareChart plots success rate and attempt success per run.
func compareChart(runs []*Run) (template.HTML, error) {
	p := newPlot("operation and attempt success per run", "", "success (%)")
	p.Y.Min, p.Y.Max = 0, 130 // headroom for the legend
	succ, att := make(plotter.Values, len(runs)), make(plotter.Values, len(runs))
	labels := make([]string, len(runs))
	for i, r := range runs {
		succ[i], att[i], labels[i] = 100*r.Metrics.SuccessRate, 100*r.Metrics.AttemptSuccess, runName(r)
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
	p.NominalX(labels...)
	p.Y.Tick.Marker = plot.ConstantTicks(percentTicks())
	return svg(p)
}

// shortTicks are gonum's default ticks labelled without trailing zeros
// ("25", not "25.00").
type shortTicks struct{}

// Ticks implements plot.Ticker.
func (shortTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', 6, 64)
		}
	}
	return ts
}

// percentTicks are ticks at 0, 20, … 100.
func percentTicks() []plot.Tick {
	var ts []plot.Tick
	for v := 0; v <= 100; v += 20 {
		ts = append(ts, plot.Tick{Value: float64(v), Label: fmt.Sprint(v)})
	}
	return ts
}
