package compare

import (
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/ratelab/ratelab/analysis"
)

// nbsp keeps a value on one line where a renderer wraps at spaces (a
// GitHub job summary's table cells).
func nbsp(s string) string { return strings.ReplaceAll(s, " ", "\u00a0") }

// writeMarkdown writes the verdict first, then a heading per table.
func (res *Result) writeMarkdown(w io.Writer) error {
	fmt.Fprintf(w, "## ratelab compare: %s\n\n", res.Scenario)
	verdict, rest := res.verdictFirst()
	if verdict != "" {
		fmt.Fprintf(w, "**%s**\n\n", verdict)
	}
	for _, l := range rest {
		fmt.Fprintf(w, "%s\n\n", l)
	}
	fmt.Fprintf(w, "### Strategies\n\n| %s |\n|%s\n", strings.Join(header(), " | "), strings.Repeat("---|", len(header())))
	for i := range res.Rows {
		cells := res.Rows[i].cells()
		for j := range cells {
			cells[j] = nbsp(cells[j])
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(w)
	return nil
}

// verdictFirst is the verdict (the winner and why) and the lines that
// frame it, in order.
func (res *Result) verdictFirst() (string, []string) { return res.Reason, res.context() }

// pageHeader is every column of the wide table, units in the header so
// that the values fit a page without wrapping.
func pageHeader() []string {
	return []string{"#", "strategy", "success %", "attempt success %", "goodput ops/s", "efficiency %", "amplification", "neighbour refused", "429s %", "p99 s", "drain s", "premature", "writes", "last done s"}
}

// pageCells are the row's values for pageHeader, a ± b written compactly.
func (r *Row) pageCells() []string {
	name := r.marked()
	eff := "—"
	if r.Efficiency != nil {
		eff = compact(*r.Efficiency, 100, 0)
	}
	return []string{fmt.Sprint(r.Rank), name, compact(r.SuccessRate, 100, 1), compact(r.AttemptSuccess, 100, 0), compact(r.Goodput, 1, 2), eff,
		compact(r.Amplification, 1, 2), compact(r.NeighbourImpact, 1, 0), compact(r.Ratio429, 100, 1), compact(r.LatencyP99, 1, 1), compact(r.DrainTime, 1, 1), compact(r.PrematureRetries, 1, 1),
		compact(r.Writes, 1, 0), compact(r.Completion, 1, 1)}
}

// writeHTML writes one self-contained page: the verdict, the table, the
// goodput scatter over every seed and the outcome timelines of the first
// seed as small multiples on shared axes.
func (res *Result) writeHTML(w io.Writer) error {
	var pts []analysis.StrategyPoints
	var names []string
	var first []*analysis.Run
	for i := range res.Rows {
		r := &res.Rows[i]
		pts = append(pts, analysis.StrategyPoints{Name: r.Name, Runs: r.runs, Winner: r.Winner, Pareto: r.Pareto})
		if len(r.runs) > 0 && r.runs[0] != nil {
			names, first = append(names, r.Name), append(first, r.runs[0])
		}
	}
	scatter, err := analysis.GoodputScatter(pts)
	if err != nil {
		return err
	}
	timelines, err := analysis.TimelineGrid(names, first)
	if err != nil {
		return err
	}
	rows := make([][]string, len(res.Rows))
	for i := range res.Rows {
		rows[i] = res.Rows[i].pageCells()
	}
	seed := ""
	if len(res.Seeds) > 0 {
		seed = fmt.Sprint(res.Seeds[0])
	}
	verdict, rest := res.verdictFirst()
	return htmlTmpl.Execute(w, map[string]any{"Res": res, "Header": pageHeader(), "Rows": rows, "Verdict": verdict, "Lines": rest,
		"Scatter": scatter, "Timelines": timelines, "TimelineCaption": analysis.TimelineCaption(first), "Seed": seed})
}

var htmlTmpl = template.Must(template.New("compare").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ratelab compare: {{.Res.Scenario}}</title>
<style>body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px;font-variant-numeric:tabular-nums}td,th{border:1px solid #ccc;padding:2px 5px;text-align:right;white-space:nowrap}th{white-space:normal;vertical-align:bottom}
td:nth-child(2),th:nth-child(2){text-align:left}th{background:#f3f3f3}.scroll{overflow-x:auto}.verdict{font-size:115%;font-weight:600}
.legend,figcaption{font-size:90%;color:#555}figure{margin:1em 0}svg{max-width:100%;height:auto}</style></head><body>
<h1>ratelab compare: {{.Res.Scenario}}</h1>
{{if .Verdict}}<p class="verdict">{{.Verdict}}</p>{{end}}
{{range .Lines}}<p>{{.}}</p>{{end}}
<h2>Strategies</h2>
<div class="scroll"><table><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table></div>
{{if .Scatter}}<h2>Goodput against amplification</h2><figure>{{.Scatter}}<figcaption>Each dot is one strategy on one seed; each label sits near its strategy's mean (strategies that coincide share one). Up and to the left is better: more work done per second for fewer requests.</figcaption></figure>{{end}}
{{if .Timelines}}<h2>Outcomes over time (seed {{.Seed}})</h2><figure>{{.Timelines}}<figcaption>{{.TimelineCaption}}</figcaption></figure>{{end}}
</body></html>
`))
