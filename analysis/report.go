package analysis

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/ratelab/ratelab/internal/table"
)

// ReportSchema is the version of the JSON report format.
const ReportSchema = 1

// Report is what `ratelab analyze` prints: every run, and the verdicts of
// any assertions.
type Report struct {
	Schema   int       `json:"schema"`
	Runs     []*Run    `json:"runs"`
	Verdicts []Verdict `json:"assertions,omitempty"`
}

// NewReport evaluates assertions on every run.
func NewReport(runs []*Run, asserts []Assertion) *Report {
	r := &Report{Schema: ReportSchema, Runs: runs}
	for _, a := range asserts {
		for _, run := range runs {
			r.Verdicts = append(r.Verdicts, a.Check(run))
		}
	}
	return r
}

// Failed returns the verdicts that did not pass.
func (r *Report) Failed() []Verdict {
	var out []Verdict
	for _, v := range r.Verdicts {
		if !v.Pass {
			out = append(out, v)
		}
	}
	return out
}

// Formats lists the output formats.
var Formats = []string{"table", "json", "markdown", "html"}

// Write renders the report in format.
func (r *Report) Write(w io.Writer, format string) error {
	switch format {
	case "table", "":
		return r.writeTable(w)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "markdown", "md":
		return r.writeMarkdown(w)
	case "html":
		return r.writeHTML(w)
	}
	return fmt.Errorf("analysis: unknown format %q (valid: %s)", format, strings.Join(Formats, ", "))
}

func f2(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }
func f1(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }
func pc(x float64) string { return strconv.FormatFloat(100*x, 'f', 1, 64) + "%" }

func runName(r *Run) string {
	if r.Strategy != "" {
		return r.Strategy
	}
	return r.File
}

// metricRows are the client metrics as label/value pairs.
func metricRows(m *Metrics) [][]string {
	rows := [][]string{
		{"operations", fmt.Sprintf("%d (%d ok, %d failed)", m.Ops, m.Succeeded, m.Failed)},
		{"success rate", pc(m.SuccessRate)},
		{"attempt success", pc(m.AttemptSuccess)},
		{"goodput", f2(m.Goodput) + " ops/s"},
		{"amplification", f2(m.Amplification)},
		{"429 ratio", pc(m.Ratio429)},
		{"latency p50 / p90 / p99 / max", fmt.Sprintf("%ss / %ss / %ss / %ss", f2(m.LatencyP50), f2(m.LatencyP90), f2(m.LatencyP99), f2(m.LatencyMax))},
		{"drain time", f2(m.DrainTime) + "s"},
		{"premature retries", strconv.Itoa(m.PrematureRetries)},
		{"immediate retries (< 50 ms)", strconv.Itoa(m.ImmediateRetries)},
	}
	if m.Efficiency != nil {
		rows = append(rows, []string{"efficiency", pc(*m.Efficiency)})
	}
	if line := EndedLine(m.Ended, secsDuration(m.WaitPastCap), secsDuration(m.MaxDuration)); line != "" {
		rows = append(rows, []string{"ended", strings.TrimPrefix(line, "ended: ")})
	}
	return rows
}

// inferredRows are an access log's inferred operation figures as
// label/value pairs.
func inferredRows(m *Inferred) [][]string {
	return [][]string{
		{"operations", fmt.Sprintf("%d (%d ok, %d failed)", m.Ops, m.Succeeded, m.Failed)},
		{"retries that could have begun an operation", strconv.Itoa(m.Ambiguous)},
		{"success rate", fmt.Sprintf("%s (worst case %s)", pc(m.SuccessRate), pc(m.SuccessRateMin))},
		{"goodput", f2(m.Goodput) + " ops/s"},
		{"amplification", fmt.Sprintf("%s (%d requests)", f2(m.Amplification), m.Requests)},
		{"latency p50 / p90 / p99 / max", fmt.Sprintf("%ss / %ss / %ss / %ss", f2(m.LatencyP50), f2(m.LatencyP90), f2(m.LatencyP99), f2(m.LatencyMax))},
		{"drain time", f2(m.DrainTime) + "s"},
	}
}

func raRows(ra RetryAfterStats) [][]string {
	rows := [][]string{{"429s", strconv.Itoa(ra.Throttled)}, {"Retry-After: 0", pc(ra.ZeroFraction)}, {"no Retry-After", strconv.Itoa(ra.Missing)}}
	if ra.Compared > 0 {
		rows = append(rows, []string{"mean hint vs true wait", fmt.Sprintf("%ss vs %ss (%d compared)", f2(ra.MeanHint), f2(ra.MeanTrueWait), ra.Compared)},
			[]string{"hints shorter than the wait", pc(ra.ShortFraction)})
	}
	return rows
}

func histRows(h map[string]int) [][]string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, ea := strconv.Atoi(keys[i])
		b, eb := strconv.Atoi(keys[j])
		if ea == nil && eb == nil {
			return a < b
		}
		if (ea == nil) != (eb == nil) {
			return ea == nil
		}
		return keys[i] < keys[j]
	})
	var rows [][]string
	for _, k := range keys {
		rows = append(rows, []string{k, strconv.Itoa(h[k])})
	}
	return rows
}

func compareHeader() []string {
	return []string{"run", "success", "attempt success", "goodput", "amplification", "429 ratio", "p99 latency", "premature"}
}

func compareRow(r *Run) []string {
	m := r.Metrics
	return []string{runName(r), pc(m.SuccessRate), pc(m.AttemptSuccess), f2(m.Goodput), f2(m.Amplification), pc(m.Ratio429), f2(m.LatencyP99) + "s", strconv.Itoa(m.PrematureRetries)}
}

func bucketHeader() []string {
	return []string{"bucket", "definition", "capacity", "consulted", "429s reporting it", "refused", "others admitted"}
}

func bucketRow(b BucketStats) []string {
	return []string{b.Name, b.Spec, strconv.FormatFloat(b.Limit, 'g', -1, 64), strconv.Itoa(b.Consulted), strconv.Itoa(b.Rejected), strconv.Itoa(b.Refused), strconv.FormatUint(b.Background, 10)}
}

func clientHeader() []string {
	return []string{"client", "requests", "429s", "retries", "premature", "immediate", "gap after 429", "mean hint", "peak req/s"}
}

func clientRow(c ClientStats) []string {
	return []string{c.Client, strconv.Itoa(c.Requests), strconv.Itoa(c.Throttled), strconv.Itoa(c.Retries), strconv.Itoa(c.PrematureRetries),
		strconv.Itoa(c.ImmediateRetries), f2(c.MeanGap) + "s", f1(c.MeanHint) + "s", f1(c.PeakRate)}
}

func writeTable(w io.Writer, header []string, rows [][]string) error {
	t := table.New(w)
	h := make([]any, len(header))
	for i, x := range header {
		h[i] = x
	}
	t.Header(h...)
	if err := t.Bulk(rows); err != nil {
		return err
	}
	return t.Render()
}

func (r *Report) clientRuns() []*Run {
	var out []*Run
	for _, run := range r.Runs {
		if run.Metrics != nil {
			out = append(out, run)
		}
	}
	return out
}

func (r *Report) writeTable(w io.Writer) error {
	if cr := r.clientRuns(); len(cr) > 1 {
		fmt.Fprintln(w, "Comparison")
		var rows [][]string
		for _, run := range cr {
			rows = append(rows, compareRow(run))
		}
		if err := writeTable(w, compareHeader(), rows); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	for _, run := range r.Runs {
		fmt.Fprintf(w, "%s — %s log, scenario %s", run.File, run.Kind, run.Scenario)
		if run.Strategy != "" {
			fmt.Fprintf(w, ", strategy %s", run.Strategy)
		}
		if run.Joined != "" {
			fmt.Fprintf(w, ", joined with %s", run.Joined)
		}
		fmt.Fprintln(w)
		if run.Skipped > 0 {
			fmt.Fprintf(w, "skipped %d bad lines (--lenient)\n", run.Skipped)
		}
		if run.Metrics != nil {
			if err := writeTable(w, []string{"metric", "value"}, metricRows(run.Metrics)); err != nil {
				return err
			}
		}
		if run.Inferred != nil {
			if err := writeTable(w, []string{"inferred operations", "value"}, inferredRows(run.Inferred)); err != nil {
				return err
			}
		}
		if err := writeTable(w, []string{"Retry-After", "value"}, raRows(run.RetryAfter)); err != nil {
			return err
		}
		if len(run.Buckets) > 0 {
			var rows [][]string
			for _, b := range run.Buckets {
				row := bucketRow(b)
				row[1] = table.Wrap(row[1], 30) // the definition, on a terminal
				rows = append(rows, row)
			}
			if err := writeTable(w, bucketHeader(), rows); err != nil {
				return err
			}
		}
		if len(run.Clients) > 0 {
			var rows [][]string
			for _, c := range run.Clients {
				rows = append(rows, clientRow(c))
			}
			if err := writeTable(w, clientHeader(), rows); err != nil {
				return err
			}
		}
		fmt.Fprintln(w, "Findings")
		for i, f := range run.Findings {
			prefix := fmt.Sprintf("%2d. [%s] ", i+1, f.Severity)
			lines := strings.Split(table.Wrap(f.Detail, 100-len(prefix)), "\n")
			fmt.Fprintf(w, "%s%s\n", prefix, lines[0])
			for _, l := range lines[1:] {
				fmt.Fprintf(w, "%*s%s\n", len(prefix), "", l)
			}
		}
		fmt.Fprintln(w)
	}
	r.writeVerdicts(w, "")
	return nil
}

func (r *Report) writeVerdicts(w io.Writer, prefix string) {
	if len(r.Verdicts) == 0 {
		return
	}
	fmt.Fprintln(w, prefix+"Assertions")
	if prefix != "" {
		fmt.Fprintln(w)
	}
	for _, v := range r.Verdicts {
		mark := "PASS"
		if !v.Pass {
			mark = "FAIL"
		}
		obs := strconv.FormatFloat(v.Observed, 'g', 6, 64)
		if v.Missing {
			obs = "not available in this log"
		}
		fmt.Fprintf(w, "- %s `%s` on %s: observed %s\n", mark, v.Assertion, v.Run, obs)
	}
}

func mdTable(w io.Writer, header []string, rows [][]string) {
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	fmt.Fprintf(w, "| %s |\n", strings.Join(header, " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(header)))
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = esc(c)
			if i > 0 && numeric(c) {
				cells[i] = strings.ReplaceAll(cells[i], " ", "\u00a0") // a number does not wrap
			}
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(w)
}

// numeric is whether a cell starts with a number: its spaces (units, "a /
// b", "(74 ok, …)") should not wrap in a rendered table.
func numeric(c string) bool {
	return c != "" && (c[0] >= '0' && c[0] <= '9' || c[0] == '-' || c[0] == '.')
}

func (r *Report) writeMarkdown(w io.Writer) error {
	fmt.Fprintln(w, "## ratelab analysis")
	fmt.Fprintln(w)
	r.writeVerdict(w)
	if cr := r.clientRuns(); len(cr) > 1 {
		fmt.Fprintln(w, "### Comparison")
		fmt.Fprintln(w)
		var rows [][]string
		for _, run := range cr {
			rows = append(rows, compareRow(run))
		}
		mdTable(w, compareHeader(), rows)
	}
	for _, run := range r.Runs {
		fmt.Fprintf(w, "### %s\n\n%s log · scenario `%s`", run.File, run.Kind, run.Scenario)
		if run.Strategy != "" {
			fmt.Fprintf(w, " · strategy `%s`", run.Strategy)
		}
		fmt.Fprint(w, "\n\n")
		if len(run.Findings) > 0 {
			for _, f := range run.Findings {
				fmt.Fprintf(w, "- **%s** — %s\n", f.Severity, f.Detail)
			}
			fmt.Fprintln(w)
		}
		mdRunTables(w, run)
	}
	r.writeVerdicts(w, "### ")
	return nil
}

// writeVerdict opens the Markdown report with its verdict: how the
// assertions went, or each run's first finding.
func (r *Report) writeVerdict(w io.Writer) {
	if n := len(r.Verdicts); n > 0 {
		if f := len(r.Failed()); f > 0 {
			fmt.Fprintf(w, "**FAIL**: %d of %d assertions failed (listed below).\n\n", f, n)
		} else {
			fmt.Fprintf(w, "**PASS**: all %d assertions passed.\n\n", n)
		}
		return
	}
	for _, run := range r.Runs {
		if len(run.Findings) > 0 {
			fmt.Fprintf(w, "**%s**: %s\n\n", run.File, run.Findings[0].Detail)
		}
	}
}

// mdRunTables writes a run's tables, each under its heading.
func mdRunTables(w io.Writer, run *Run) {
	section := func(title string, header []string, rows [][]string) {
		fmt.Fprintf(w, "#### %s\n\n", title)
		mdTable(w, header, rows)
	}
	if run.Metrics != nil {
		section("Metrics", []string{"metric", "value"}, metricRows(run.Metrics))
	}
	if run.Inferred != nil {
		section("Inferred operations", []string{"inferred operations", "value"}, inferredRows(run.Inferred))
	}
	section("Retry-After", []string{"Retry-After", "value"}, raRows(run.RetryAfter))
	if len(run.Buckets) > 0 {
		var rows [][]string
		for _, b := range run.Buckets {
			rows = append(rows, bucketRow(b))
		}
		section("Buckets", bucketHeader(), rows)
	}
	if len(run.Clients) > 0 {
		var rows [][]string
		for _, c := range run.Clients {
			rows = append(rows, clientRow(c))
		}
		section("Clients (server view)", clientHeader(), rows)
	}
}

var htmlTmpl = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ratelab analysis</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;white-space:nowrap}
th{background:#f3f3f3}.high{color:#b00}.medium{color:#a60}.low{color:#555}.info{color:#357}
.charts{display:flex;flex-wrap:wrap;gap:1em}.charts figure{flex:1 1 520px;margin:0}figcaption{font-size:90%;color:#555}
svg{max-width:100%;height:auto}.scroll{overflow-x:auto}
.pass{color:#070}.fail{color:#b00;font-weight:bold}
</style></head><body>
<h1>ratelab analysis</h1>
{{if .Verdicts}}<h2>Assertions</h2><ul>{{range .Verdicts}}<li class="{{if .Pass}}pass{{else}}fail{{end}}">{{if .Pass}}PASS{{else}}FAIL{{end}} <code>{{.Assertion}}</code> on {{.Run}}: observed {{.Observed}}</li>{{end}}</ul>{{end}}
{{if .Compare}}<h2>Comparison</h2>{{template "table" .Compare}}<div class="charts"><figure>{{.CompareChart}}</figure><figure>{{.CompareCDF}}<figcaption>Latency of every run on one axis.</figcaption></figure></div>{{end}}
{{range .Runs}}<h2>{{.Run.File}}</h2>
<p>{{.Run.Kind}} log · scenario <code>{{.Run.Scenario}}</code>{{if .Run.Strategy}} · strategy <code>{{.Run.Strategy}}</code>{{end}}{{if .Run.Joined}} · joined with {{.Run.Joined}}{{end}}</p>
<h3>Findings</h3><ol>{{range .Run.Findings}}<li class="{{.Severity}}"><b>{{.Severity}}</b> — {{.Detail}}</li>{{end}}</ol>
<div class="charts">{{if .Bucket}}<figure><h3>Who used the binding bucket</h3>{{.Bucket}}<figcaption>{{.BucketNote}}</figcaption></figure>{{end}}
<figure><h3>Outcomes per {{.Bin}}</h3>{{.Timeline}}{{if .Shared}}<figcaption>Same bin width and axes for every run in this report.</figcaption>{{end}}</figure>
<figure><h3>{{if .Run.RetryAfter.Compared}}Retry-After against the true wait{{else}}Retry-After values{{end}}</h3>{{.Hist}}</figure>{{if .CDF}}<figure><h3>Operation latency</h3>{{.CDF}}</figure>{{end}}</div>
{{if .Metrics}}<h3>Metrics</h3>{{template "table" .Metrics}}{{end}}{{if .Inferred}}<h3>Inferred operations</h3>{{template "table" .Inferred}}{{end}}
<h3>Retry-After</h3>{{template "table" .RA}}
{{if .Buckets}}<h3>Buckets</h3>{{template "table" .Buckets}}{{end}}
{{if .Clients}}<h3>Clients (server view)</h3>{{template "table" .Clients}}{{end}}
{{end}}
</body></html>
{{define "table"}}<div class="scroll"><table><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table></div>{{end}}
`))

type htmlTable struct {
	Header []string
	Rows   [][]string
}

type htmlRun struct {
	Run                                     *Run
	Metrics, Inferred, RA, Buckets, Clients *htmlTable
	Timeline, Hist, CDF, Bucket             template.HTML
	Bin, BucketNote                         string
	Shared                                  bool
}

func (r *Report) writeHTML(w io.Writer) error {
	data := struct {
		Compare                  *htmlTable
		CompareChart, CompareCDF template.HTML
		Runs                     []htmlRun
		Verdicts                 []Verdict
	}{Verdicts: r.Verdicts}
	cr := r.clientRuns()
	if len(cr) > 1 {
		t := &htmlTable{Header: compareHeader()}
		for _, run := range cr {
			t.Rows = append(t.Rows, compareRow(run))
		}
		data.Compare = t
		var err error
		if data.CompareChart, err = compareChart(cr); err != nil {
			return err
		}
		if data.CompareCDF, err = cdfChart(cr); err != nil {
			return err
		}
	}
	ax := sharedAxes(r.Runs)
	for _, run := range r.Runs {
		hr, err := htmlRunOf(run, ax, len(cr) > 1)
		if err != nil {
			return err
		}
		hr.Shared = len(r.Runs) > 1
		data.Runs = append(data.Runs, hr)
	}
	return htmlTmpl.Execute(w, data)
}

// htmlRunOf is one run's tables and charts, its timelines on ax; compared
// runs' latency is charted once, on one axis, in the comparison.
func htmlRunOf(run *Run, ax timelineAxes, compared bool) (htmlRun, error) {
	hr := htmlRun{Run: run, RA: &htmlTable{[]string{"Retry-After", "value"}, raRows(run.RetryAfter)}, Bin: secs(ax.bin)}
	if run.Metrics != nil {
		hr.Metrics = &htmlTable{[]string{"metric", "value"}, metricRows(run.Metrics)}
	}
	if run.Inferred != nil {
		hr.Inferred = &htmlTable{[]string{"inferred operations", "value"}, inferredRows(run.Inferred)}
	}
	if len(run.Buckets) > 0 {
		hr.Buckets = &htmlTable{Header: bucketHeader()}
		for _, b := range run.Buckets {
			hr.Buckets.Rows = append(hr.Buckets.Rows, bucketRow(b))
		}
	}
	if len(run.Clients) > 0 {
		hr.Clients = &htmlTable{Header: clientHeader()}
		for _, c := range run.Clients {
			hr.Clients.Rows = append(hr.Clients.Rows, clientRow(c))
		}
	}
	var err error
	if hr.Timeline, err = timelineChart(run, ax); err != nil {
		return hr, err
	}
	if hr.Bucket, err = bucketChart(run, ax); err != nil {
		return hr, err
	}
	hr.BucketNote = backgroundNote(run)
	if hr.Hist, err = retryAfterChart(run); err != nil {
		return hr, err
	}
	if len(run.Latencies) > 0 && !compared {
		if hr.CDF, err = cdfChart([]*Run{run}); err != nil {
			return hr, err
		}
	}
	return hr, nil
}
