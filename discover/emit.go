package discover

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// WriteScenario writes a scenario that reproduces what was discovered:
// one bucket per group of endpoints that share a limit, the Retry-After
// behaviour seen, and unseen traffic as background load.
func (r *Result) WriteScenario(w io.Writer, name string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\n", name)
	fmt.Fprintf(&b, "description: Limits discovered on %s by ratelab discover (%d requests, %.0f s).\n", r.Target, r.Requests, r.Elapsed)
	fmt.Fprintf(&b, "models: Measured, not documented; re-run ratelab discover to refresh.\n")
	b.WriteString("gateway:\n  buckets:\n")
	bucketOf := map[string]string{}
	var routes []string
	n := 0
	var bg []string
	zero, missing, floor, seen := 0, 0, 0, 0
	for _, f := range r.Findings {
		seen += f.Hints.Seen
		zero += f.Hints.Zero
		missing += f.Hints.Missing
		floor += f.Hints.RoundedDown
		if f.Algorithm == "unknown" || f.Limit <= 0 {
			continue
		}
		if _, done := bucketOf[f.Route]; done {
			continue
		}
		n++
		name := fmt.Sprintf("b%d", n)
		if f.LimitNamespace != "" {
			name = strings.ReplaceAll(f.LimitNamespace, ".", "-")
			if strings.Contains(b.String(), "{name: "+name+",") {
				name = fmt.Sprintf("%s-%d", name, n)
			}
		}
		bucketOf[f.Route] = name
		for _, s := range f.SharesWith {
			bucketOf[s] = name
		}
		scope := "org"
		if f.Scope == "token" {
			scope = "token"
		}
		extra := ""
		if f.LimitKey != "" {
			extra = fmt.Sprintf(", namespace: %s, key: %s", f.LimitNamespace, f.LimitKey)
		}
		switch f.Algorithm {
		case "token-bucket":
			rate := f.LimitPerMin
			fmt.Fprintf(&b, "    - {name: %s, scope: %s, algorithm: token-bucket, limit: %s/min, burst: %d%s}\n",
				name, scope, num(rate), int(math.Max(1, math.Round(f.Burst))), extra)
		default:
			limit := f.LimitPerMin * f.Window / 60
			fmt.Fprintf(&b, "    - {name: %s, scope: %s, algorithm: %s, limit: %s/%s, window: %s%s}\n",
				name, scope, f.Algorithm, num(math.Round(limit)), dur(f.Window), dur(f.Window), extra)
		}
		if f.Unseen > 0 {
			bg = append(bg, fmt.Sprintf("    - {bucket: %s, rate: %s/min, pattern: poisson}\n", name, num(f.Unseen)))
		}
	}
	if n == 0 {
		return fmt.Errorf("discover: nothing was limited within the budget; no scenario to write")
	}
	b.WriteString("  routes:\n")
	for _, f := range r.Findings {
		if name, ok := bucketOf[f.Route]; ok && !contains(routes, f.Route) {
			routes = append(routes, f.Route)
			fmt.Fprintf(&b, "    - {match: %q, buckets: [%s]}\n", f.Route, name)
		}
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
	b.WriteString("workload: {operation: get-user, ops: 100, concurrency: 2, strategy: adaptive}\n")
	_, err := io.WriteString(w, b.String())
	return err
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
