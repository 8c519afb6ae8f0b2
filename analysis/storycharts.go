package analysis

import (
	"fmt"
	"html/template"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// bucketChart plots the binding bucket's level over time above the
// requests it admitted and refused, the client's and other clients' in
// the log, per bin of ax; "" when the log reports no bucket levels.
func bucketChart(r *Run, ax timelineAxes) (template.HTML, error) {
	key, limit := bindingBucket(r)
	if key.bucket == "" {
		return "", nil
	}
	s := r.story.bucket
	title := fmt.Sprintf("bucket %q: lowest level per 0.1 s (capacity %g)", key.bucket, limit)
	if key.client != "" {
		title = fmt.Sprintf("bucket %q as %s's requests saw it: lowest level per 0.1 s (capacity %g)", key.bucket, key.client, limit)
	}
	top := newPlot(title, "", "tokens left")
	var lv plotter.XYs
	s.levels[key].each(func(t *levelTick) bool { return t.seen }, func(k int64, t *levelTick) {
		lv = append(lv, plotter.XY{X: float64(k) / 10, Y: t.min})
	})
	if err := line(top, lv, blue, ""); err != nil {
		return "", err
	}
	top.X.Min, top.X.Max, top.Y.Min, top.Y.Max = ax.from, ax.to, 0, math.Max(limit, 1)*1.05
	bottom, err := admitsPlot(r, ax)
	if err != nil {
		return "", err
	}
	return svgGrid([]*plot.Plot{top, bottom}, 1, chartH*0.8)
}

// admitsPlot plots admitted and refused requests per bin: the main
// client's, and other clients' when the log has any.
func admitsPlot(r *Run, ax timelineAxes) (*plot.Plot, error) {
	p := newPlot("", "seconds since start", "requests per "+secs(ax.bin))
	me := mainClient(r)
	w := max(int64(ax.bin*10+0.5), 1)
	first := floorDiv(int64(ax.from*10+0.5), w)
	n := int(floorDiv(int64(ax.to*10+0.5)-1, w)-first) + 1
	series := map[string][]float64{}
	for c, b := range r.story.bucket.clients {
		who := "client"
		if c != me {
			who = "other clients"
		}
		b.each(func(a *admits) bool { return a.ok+a.refused > 0 }, func(k int64, a *admits) {
			i := int(floorDiv(k, w) - first)
			if i < 0 || i >= n {
				return
			}
			for _, kind := range []struct {
				n   int
				key string
			}{{a.ok, who + " admitted"}, {a.refused, who + " refused"}} {
				if series[kind.key] == nil {
					series[kind.key] = make([]float64, n)
				}
				series[kind.key][i] += float64(kind.n)
			}
		})
	}
	ymax := 1.0
	for _, s := range []struct {
		key string
		c   color.Color
	}{{"client admitted", green}, {"client refused", red}, {"other clients admitted", purple}, {"other clients refused", orange}} {
		ys, ok := series[s.key]
		if !ok {
			continue
		}
		pts := make(plotter.XYs, n)
		for i, y := range ys {
			pts[i] = plotter.XY{X: float64(first+int64(i))*ax.bin + ax.bin/2, Y: y}
			ymax = math.Max(ymax, y)
		}
		label := s.key
		if me != "" && s.key[:6] == "client" {
			label = me + s.key[6:]
		}
		if err := line(p, pts, s.c, label); err != nil {
			return nil, err
		}
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = ax.from, ax.to, 0, ymax*1.3
	return p, nil
}

// backgroundNote states the other tenants' load the access log counts
// only in total, for the bucket chart's caption.
func backgroundNote(r *Run) string {
	key, _ := bindingBucket(r)
	name := key.bucket
	for _, b := range r.Background {
		if b.Bucket == name {
			return fmt.Sprintf("Other tenants (background traffic, counted by the gateway in total only): %d admitted and %d refused on %q over the run.", b.Admitted, b.Rejected, name)
		}
	}
	if name != "" {
		return fmt.Sprintf("No background traffic on %q.", name)
	}
	return ""
}

// retryAfterChart plots the Retry-After hints against the gateway's true
// waits when the log has them, else how many 429s carried each value.
func retryAfterChart(r *Run) (template.HTML, error) {
	if r.story == nil || len(r.story.hints) == 0 {
		return histChart(r)
	}
	hi := 0.0
	for i := range r.story.hints {
		hi = math.Max(hi, math.Max(r.story.hints[i], r.story.truths[i]))
	}
	w := niceStep(hi / 30)
	p := newPlot(fmt.Sprintf("Retry-After hint vs true wait, %d 429s (bins of %g s)", len(r.story.hints), w), "seconds to wait", "429s")
	for _, s := range []struct {
		xs   []float64
		c    color.RGBA
		name string
	}{{r.story.truths, red, "true wait (gateway)"}, {r.story.hints, blue, "Retry-After hint"}} {
		h := &plotter.Histogram{Bins: histBins(s.xs, w), Width: w, FillColor: color.NRGBA{R: s.c.R, G: s.c.G, B: s.c.B, A: 110}, LineStyle: draw.LineStyle{Color: s.c, Width: vg.Points(1)}}
		p.Add(h)
		p.Legend.Add(s.name, h)
	}
	p.X.Min, p.Y.Min = 0, 0
	p.X.Max = math.Max(p.X.Max, w*5)
	return svg(p)
}

// histBins counts xs in bins of width w from 0.
func histBins(xs []float64, w float64) []plotter.HistogramBin {
	counts := map[int]float64{}
	for _, x := range xs {
		counts[int(math.Floor(x/w+1e-9))]++
	}
	keys := make([]int, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	out := make([]plotter.HistogramBin, len(keys))
	for i, k := range keys {
		out[i] = plotter.HistogramBin{Min: float64(k) * w, Max: float64(k+1) * w, Weight: counts[k]}
	}
	return out
}

// niceStep is the least of 1, 2 or 5 × a power of ten ≥ x (0.01 at least).
func niceStep(x float64) float64 {
	if !(x > 0.01) {
		return 0.01
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

// histChart plots how many 429s carried each Retry-After value.
func histChart(r *Run) (template.HTML, error) {
	p := newPlot("429s by Retry-After header (no true wait in this log)", "Retry-After header (s)", "429s")
	p.Legend.Top = false
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
	p.Y.Min = 0
	return svg(p)
}
