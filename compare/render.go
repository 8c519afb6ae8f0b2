package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/ratelab/ratelab/internal/table"
)

// Formats lists the output formats.
var Formats = []string{"table", "wide", "json", "markdown", "html"}

func pm(s Stat, scale float64, prec int, unit string) string {
	if s.SD == 0 {
		return fmt.Sprintf("%.*f%s", prec, s.Mean*scale, unit)
	}
	return fmt.Sprintf("%.*f ± %.*f%s", prec, s.Mean*scale, prec, s.SD*scale, unit)
}

// compact is a mean ± spread in few columns, the unit left to the header.
func compact(s Stat, scale float64, prec int) string {
	if math.Abs(s.Mean*scale) >= 1000 {
		prec = 0 // hours in seconds: the decimals only widen the table
	}
	if s.SD == 0 {
		return fmt.Sprintf("%.*f", prec, s.Mean*scale)
	}
	return fmt.Sprintf("%.*f±%.*f", prec, s.Mean*scale, prec, s.SD*scale)
}

// narrowHeader is the table's default columns: they fit 120 columns.
func narrowHeader() []string {
	return []string{"#", "strategy", "success %", "goodput/s", "amplification", "nbr refused", "429s %", "p99 s", "done s"}
}

// marked is the row's name with the winner's star and the Pareto mark.
func (r *Row) marked() string {
	name := r.Name
	if r.Pareto {
		name += " ◆"
	}
	if r.Winner {
		name += " ★"
	}
	return name
}

func (r *Row) narrowCells() []string {
	return []string{fmt.Sprint(r.Rank), r.marked(), compact(r.SuccessRate, 100, 1), compact(r.Goodput, 1, 2), compact(r.Amplification, 1, 2),
		compact(r.NeighbourImpact, 1, 0), compact(r.Ratio429, 100, 1), compact(r.LatencyP99, 1, 1), compact(r.Completion, 1, 1)}
}

// legend explains the narrow table's units and what it leaves out.
const legend = "★: winner; ◆: Pareto set (no other strategy beats it on success, goodput, amplification and neighbour impact at once); success: operations that succeeded; goodput: successful operations per second; amplification: requests sent ÷ the fewest the operations needed to get as far as they got; nbr refused: other tenants' requests refused beyond those refused without this client; 429s: share of attempts; p99: operation latency; done: when the last successful operation finished; a ± b: mean and standard deviation over seeds; --wide shows every column"

func header() []string {
	return []string{"#", "strategy", "success", "attempt success", "goodput ops/s", "efficiency", "amplification", "neighbour refused", "429 ratio", "p99 latency", "drain", "premature", "writes", "last done"}
}

func (r *Row) cells() []string {
	name := r.marked()
	eff := "—"
	if r.Efficiency != nil {
		eff = pm(*r.Efficiency, 100, 0, "%")
	}
	return []string{fmt.Sprint(r.Rank), name, pm(r.SuccessRate, 100, 1, "%"), pm(r.AttemptSuccess, 100, 0, "%"), pm(r.Goodput, 1, 2, ""), eff,
		pm(r.Amplification, 1, 2, ""), pm(r.NeighbourImpact, 1, 0, ""), pm(r.Ratio429, 100, 1, "%"), pm(r.LatencyP99, 1, 2, "s"), pm(r.DrainTime, 1, 2, "s"), pm(r.PrematureRetries, 1, 1, ""),
		pm(r.Writes, 1, 0, ""), pm(r.Completion, 1, 2, "s")}
}

// context is what ran, the rule the rows are ranked by, and whether a cap
// cut runs short: the lines that frame the verdict.
func (res *Result) context() []string {
	ls := []string{fmt.Sprintf("scenario %s · %s time · %d ops · seeds %v", res.Scenario, res.Clock, res.Ops, res.Seeds),
		"rule (--objective " + res.Objective + "): " + res.Rule + "."}
	if res.CutShort != "" {
		ls = append(ls, res.CutShort)
	}
	if !res.Limited && len(res.Rows) > 0 {
		ls = append(ls, "NOT RATE LIMITED: no run met a 429, so this ranks strategies on traffic their retry logic never saw; raise the workload's rate or --ops to compare them under the limits")
	}
	return ls
}

// lines are the verdict: the context, then why the winner won.
func (res *Result) lines() []string { return append(res.context(), "winner: "+res.Reason) }

// Write renders the result in format: table (the columns that fit 120
// terminal columns, with a legend), wide (every column), json, markdown or
// html.
func (res *Result) Write(w io.Writer, format string) error {
	switch format {
	case "table", "", "wide":
		h, cells := narrowHeader(), (*Row).narrowCells
		if format == "wide" {
			h, cells = header(), (*Row).cells
		}
		for _, l := range res.lines() {
			fmt.Fprintln(w, table.Wrap(l, 100))
		}
		t := table.New(w)
		hs := make([]any, len(h))
		for i := range h {
			hs[i] = h[i]
		}
		t.Header(hs...)
		for i := range res.Rows {
			if err := t.Append(cells(&res.Rows[i])); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
		if format != "wide" {
			fmt.Fprintln(w, table.Wrap(legend, 100))
		}
		return nil
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	case "markdown", "md":
		return res.writeMarkdown(w)
	case "html":
		return res.writeHTML(w)
	}
	return fmt.Errorf("compare: unknown format %q (valid: %s)", format, strings.Join(Formats, ", "))
}
