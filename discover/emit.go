package discover

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// WriteScenario writes a scenario that reproduces what was discovered:
// a bucket per limit found, stacked on each route in the order they
// refused, shared by the routes found to share them; the Retry-After
// behaviour seen; and unseen traffic as background load.
func (r *Result) WriteScenario(w io.Writer, name string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\n", name)
	fmt.Fprintf(&b, "description: Limits discovered on %s by ratelab discover (%d requests, %.0f s).\n", r.Target, r.Requests, r.Elapsed)
	fmt.Fprintf(&b, "models: Measured, not documented; re-run ratelab discover to refresh.\n")
	b.WriteString("gateway:\n  buckets:\n")
	var bg []string
	zero, missing, floor, seen := 0, 0, 0, 0
	stacks := map[string][]string{} // route → its buckets, in the order they refused
	named := map[string]string{}    // a layer's identity → its bucket
	var routes []string
	for _, f := range r.Findings {
		seen += f.Hints.Seen
		zero += f.Hints.Zero
		missing += f.Hints.Missing
		floor += f.Hints.RoundedDown
		if _, done := stacks[f.Route]; done {
			continue
		}
		var stack []string
		for i, l := range f.Layers {
			if l.Limit <= 0 || l.Algorithm == "unknown" {
				continue
			}
			id := l.LimitNamespace + "/" + l.LimitKey
			if l.LimitKey == "" {
				id = fmt.Sprintf("%s#%d", f.measuredOn, i)
			}
			name, ok := named[id]
			if !ok {
				name = bucketFor(l, len(named)+1, named)
				named[id] = name
				b.WriteString(bucketLine(name, l))
				if l.Unseen > 0 {
					bg = append(bg, fmt.Sprintf("    - {bucket: %s, rate: %s/min, pattern: poisson}\n", name, num(l.Unseen)))
				}
			}
			stack = append(stack, name)
		}
		if len(stack) == 0 {
			continue
		}
		// Every route probed has a finding of its own (a copy when it shared
		// every layer), so each gets its own stack.
		stacks[f.Route] = stack
		routes = append(routes, f.Route)
	}
	if len(named) == 0 {
		return fmt.Errorf("discover: nothing was limited within the budget; no scenario to write")
	}
	b.WriteString("  routes:\n")
	for _, rt := range routes {
		fmt.Fprintf(&b, "    - {match: %q, buckets: [%s]}\n", rt, strings.Join(stacks[rt], ", "))
	}
	mode := "accurate"
	switch {
	case seen > 0 && zero*2 >= seen:
		mode = "zero"
	case seen > 0 && missing*2 >= seen:
		mode = "missing"
	case seen > 0 && floor*2 >= seen:
		mode = "floor"
	}
	fmt.Fprintf(&b, "  retry_after: {mode: %s}\n", mode)
	if len(bg) > 0 {
		b.WriteString("  background:\n")
		for _, l := range bg {
			b.WriteString(l)
		}
	}
	b.WriteString(r.workload())
	_, err := io.WriteString(w, b.String())
	return err
}

// bucketFor names a layer's bucket after its namespace when it has one.
func bucketFor(l Layer, n int, named map[string]string) string {
	name := fmt.Sprintf("b%d", n)
	if l.LimitNamespace != "" {
		name = strings.ReplaceAll(l.LimitNamespace, ".", "-")
		for _, other := range named {
			if other == name {
				return fmt.Sprintf("%s-%d", name, n)
			}
		}
	}
	return name
}

// bucketLine is a layer as a scenario bucket.
func bucketLine(name string, l Layer) string {
	scope := "org"
	switch l.Scope {
	case "token", "client":
		scope = l.Scope
	}
	extra := ""
	if l.LimitKey != "" {
		extra = fmt.Sprintf(", namespace: %s, key: %s", l.LimitNamespace, l.LimitKey)
		if l.Documented > 0 && l.Documented != l.LimitValue {
			extra += ", documented: " + num(l.Documented) // what the limits API said
		}
	}
	switch l.Algorithm {
	case "token-bucket":
		return fmt.Sprintf("    - {name: %s, scope: %s, algorithm: token-bucket, limit: %s/min, burst: %d%s}\n",
			name, scope, num(l.LimitPerMin), int(math.Max(1, math.Round(l.Burst))), extra)
	case "daily-quota":
		reset := ""
		if l.ResetAt != "" { // else the 429 did not say: the default, midnight UTC
			reset = fmt.Sprintf(", reset: %q", l.ResetAt)
		}
		return fmt.Sprintf("    - {name: %s, scope: %s, algorithm: daily-quota, limit: %s/day%s%s}\n", name, scope, num(l.Limit), reset, extra)
	}
	limit := l.LimitPerMin * l.Window / 60
	return fmt.Sprintf("    - {name: %s, scope: %s, algorithm: %s, limit: %s/%s, window: %s%s}\n",
		name, scope, l.Algorithm, num(math.Round(limit)), dur(l.Window), dur(l.Window), extra)
}

func num(x float64) string {
	if x == math.Trunc(x) {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.2f", x)
}

func dur(s float64) string {
	if s == math.Trunc(s) {
		return fmt.Sprintf("%.0fs", s)
	}
	return fmt.Sprintf("%.1fs", s)
}

// workload offers reads at 1.5 times the tightest limit found, for two
// minutes, so that a comparison on the scenario meets its limits: a
// workload the limits never refuse ranks strategies on nothing.
func (r *Result) workload() string {
	tightest := 0.0
	for _, f := range r.Findings {
		for _, l := range f.Layers {
			if l.Algorithm != "daily-quota" && l.LimitPerMin > 0 && (tightest == 0 || l.LimitPerMin < tightest) {
				tightest = l.LimitPerMin
			}
		}
	}
	if tightest == 0 {
		return "workload: {operation: get-user, ops: 100, concurrency: 2, strategy: adaptive}\n"
	}
	rate := math.Ceil(1.5 * tightest)
	return fmt.Sprintf("workload: {operation: get-user, ops: %d, rate: %s/min, strategy: adaptive}\n", max(50, int(2*rate)), num(rate))
}
