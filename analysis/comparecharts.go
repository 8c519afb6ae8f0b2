package analysis

import (
	"fmt"
	"html/template"
	"image/color"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// StrategyPoints are one strategy's runs for the goodput scatter: one
// point per seed.
type StrategyPoints struct {
	Name string
	Runs []*Run
	// Winner and Pareto mark the ranking's winner and the strategies no
	// other beats on every measure at once, as the ranking decided them.
	Winner, Pareto bool
}

// GoodputScatter renders, as inline SVG, goodput against amplification
// with every run of every strategy as a point, labelled at each
// strategy's mean, the winner (and a Pareto set, when marked) ringed.
func GoodputScatter(strategies []StrategyPoints) (template.HTML, error) {
	p := newPlot("goodput against amplification, one point per seed", "amplification (requests per operation ÷ the fewest it needs)", "goodput (successful operations/s)")
	var all, win, par plotter.XYs
	var labels plotter.XYLabels
	for _, s := range strategies {
		var mx, my float64
		for _, r := range s.Runs {
			if r == nil || r.Metrics == nil {
				continue
			}
			pt := plotter.XY{X: r.Metrics.Amplification, Y: r.Metrics.Goodput}
			all = append(all, pt)
			mx, my = mx+pt.X, my+pt.Y
			if s.Winner {
				win = append(win, pt)
			} else if s.Pareto {
				par = append(par, pt)
			}
		}
		if n := float64(len(s.Runs)); n > 0 {
			name := s.Name
			if s.Winner {
				name += " ★"
			}
			labels.XYs = append(labels.XYs, plotter.XY{X: mx / n, Y: my / n})
			labels.Labels = append(labels.Labels, name)
		}
	}
	if len(all) == 0 {
		return "", nil
	}
	for _, s := range []struct {
		pts    plotter.XYs
		c      color.Color
		shape  draw.GlyphDrawer
		radius vg.Length
		name   string
	}{{all, color.NRGBA{R: 50, G: 90, B: 170, A: 150}, draw.CircleGlyph{}, 3, "a strategy on one seed"},
		{par, orange, draw.RingGlyph{}, 6, "Pareto set"}, {win, green, draw.CircleGlyph{}, 4.5, "the winner on one seed"}} {
		if len(s.pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(s.pts)
		if err != nil {
			return "", err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: s.c, Shape: s.shape, Radius: vg.Points(float64(s.radius))}
		p.Add(sc)
		p.Legend.Add(s.name, sc)
	}
	l, err := plotter.NewLabels(spread(merge(labels)))
	if err != nil {
		return "", err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font.Size = vg.Points(7.5)
		l.TextStyle[i].Font.Typeface, l.TextStyle[i].Font.Variant = sans.Typeface, sans.Variant
		l.TextStyle[i].XAlign = draw.XLeft
	}
	l.Offset = vg.Point{X: vg.Points(5), Y: vg.Points(-3)}
	p.Add(l)
	p.Legend.Left, p.Legend.Top = false, false
	p.X.Min = math.Max(0, p.X.Min)
	p.Y.Min = 0
	p.X.Max *= 1.12 // room for the labels
	p.Y.Max *= 1.1
	return svgSized(p, 7.5*vg.Inch, 4.6*vg.Inch)
}

// describeAxes says what a grid of timelines shares, for its caption.
func describeAxes(runs []*Run) string {
	ax := sharedAxes(runs)
	return fmt.Sprintf("Outcomes per %s; every panel has the same time axis (0–%g s) and the same vertical scale.", secs(ax.bin), ax.to)
}

// TimelineCaption describes the shared axes TimelineGrid draws runs on.
func TimelineCaption(runs []*Run) string { return describeAxes(runs) }

// merge joins the labels of strategies whose means coincide (SDKs that
// behave alike) into one "a, b, c".
func merge(l plotter.XYLabels) plotter.XYLabels {
	var out plotter.XYLabels
	for i, xy := range l.XYs {
		j := 0
		for ; j < len(out.XYs); j++ {
			if math.Abs(out.XYs[j].X-xy.X) < 1e-3 && math.Abs(out.XYs[j].Y-xy.Y) < 1e-3 {
				out.Labels[j] += ", " + l.Labels[i]
				break
			}
		}
		if j == len(out.XYs) {
			out.XYs, out.Labels = append(out.XYs, xy), append(out.Labels, l.Labels[i])
		}
	}
	return out
}

// spread moves labels down, a line at a time, off labels already placed
// near them, so that close strategies stay readable.
func spread(l plotter.XYLabels) plotter.XYLabels {
	if len(l.XYs) == 0 {
		return l
	}
	lo, hi := l.XYs[0], l.XYs[0]
	for _, xy := range l.XYs {
		lo.X, lo.Y, hi.X, hi.Y = math.Min(lo.X, xy.X), math.Min(lo.Y, xy.Y), math.Max(hi.X, xy.X), math.Max(hi.Y, xy.Y)
	}
	dx, dy := math.Max(hi.X-lo.X, 1)*0.12, math.Max(hi.Y-lo.Y, 0.5)*0.05
	for i := range l.XYs {
		for moved := true; moved; {
			moved = false
			for j := range i {
				if math.Abs(l.XYs[j].X-l.XYs[i].X) < dx && math.Abs(l.XYs[j].Y-l.XYs[i].Y) < dy {
					l.XYs[i].Y -= dy
					moved = true
				}
			}
		}
	}
	return l
}
