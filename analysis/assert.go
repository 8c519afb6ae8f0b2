package analysis

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ratelab/ratelab/scenarios"
)

// metricFuncs maps the documented metric names to their values. A false
// second result means the metric is not known for this run (for example a
// client metric on an access log).
var metricFuncs = map[string]func(r *Run) (float64, bool){
	"success_rate":    inferable(func(m *Metrics) float64 { return m.SuccessRate }, func(m *Inferred) float64 { return m.SuccessRate }),
	"attempt_success": client(func(m *Metrics) float64 { return m.AttemptSuccess }),
	"goodput":         inferable(func(m *Metrics) float64 { return m.Goodput }, func(m *Inferred) float64 { return m.Goodput }),
	"amplification":   inferable(func(m *Metrics) float64 { return m.Amplification }, func(m *Inferred) float64 { return m.Amplification }),
	"429_ratio":       ratio429,
	"ratio_429":       ratio429,
	"latency_p50":     inferable(func(m *Metrics) float64 { return m.LatencyP50 }, func(m *Inferred) float64 { return m.LatencyP50 }),
	"latency_p90":     inferable(func(m *Metrics) float64 { return m.LatencyP90 }, func(m *Inferred) float64 { return m.LatencyP90 }),
	"latency_p99":     inferable(func(m *Metrics) float64 { return m.LatencyP99 }, func(m *Inferred) float64 { return m.LatencyP99 }),
	"latency_max":     inferable(func(m *Metrics) float64 { return m.LatencyMax }, func(m *Inferred) float64 { return m.LatencyMax }),
	"drain_time":      inferable(func(m *Metrics) float64 { return m.DrainTime }, func(m *Inferred) float64 { return m.DrainTime }),
	"premature_retries": func(r *Run) (float64, bool) {
		if r.Metrics != nil {
			return float64(r.Metrics.PrematureRetries), true
		}
		n := 0
		for _, c := range r.Clients {
			n += c.PrematureRetries
		}
		return float64(n), true
	},
	"immediate_retries": func(r *Run) (float64, bool) {
		if r.Metrics != nil {
			return float64(r.Metrics.ImmediateRetries), true
		}
		n := 0
		for _, c := range r.Clients {
			n += c.ImmediateRetries
		}
		return float64(n), true
	},
	"efficiency": func(r *Run) (float64, bool) {
		if r.Metrics == nil || r.Metrics.Efficiency == nil {
			return 0, false
		}
		return *r.Metrics.Efficiency, true
	},
	"failed":                    inferable(func(m *Metrics) float64 { return float64(m.Failed) }, func(m *Inferred) float64 { return float64(m.Failed) }),
	"attempts":                  func(r *Run) (float64, bool) { return float64(r.attempts()), true },
	"throttled":                 func(r *Run) (float64, bool) { return float64(r.RetryAfter.Throttled), true },
	"retry_after_zero_fraction": func(r *Run) (float64, bool) { return r.RetryAfter.ZeroFraction, true },
	"retry_waves":               func(r *Run) (float64, bool) { return float64(r.Waves.Waves), true },
	"longest_429_burst":         func(r *Run) (float64, bool) { return float64(r.Bursts.Longest), true },
}

func client(f func(*Metrics) float64) func(*Run) (float64, bool) {
	return func(r *Run) (float64, bool) {
		if r.Metrics == nil {
			return 0, false
		}
		return f(r.Metrics), true
	}
}

// inferable reads a client metric from the attempt log's Metrics, or else
// from the operations inferred from an access log.
func inferable(f func(*Metrics) float64, g func(*Inferred) float64) func(*Run) (float64, bool) {
	return func(r *Run) (float64, bool) {
		switch {
		case r.Metrics != nil:
			return f(r.Metrics), true
		case r.Inferred != nil:
			return g(r.Inferred), true
		}
		return 0, false
	}
}

func ratio429(r *Run) (float64, bool) {
	if r.Metrics != nil {
		return r.Metrics.Ratio429, true
	}
	if n := r.attempts(); n > 0 {
		return float64(r.RetryAfter.Throttled) / float64(n), true
	}
	return 0, true
}

func (r *Run) attempts() int {
	if r.Metrics != nil {
		return r.Metrics.Attempts
	}
	n := 0
	for _, rt := range r.Routes {
		n += rt.Requests
	}
	return n
}

// MetricNames lists the metrics assertions may name.
func MetricNames() []string {
	names := make([]string, 0, len(metricFuncs))
	for n := range metricFuncs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Assertion is one parsed check.
type Assertion struct {
	Expr   string
	Metric string
	Op     string
	Value  float64
}

// ParseAssertion parses "metric OP number" and checks the metric name; an
// error here is bad usage.
func ParseAssertion(expr string) (Assertion, error) {
	m, op, v, err := scenarios.ParseAssertion(expr)
	if err != nil {
		return Assertion{}, fmt.Errorf("analysis: %w", err)
	}
	if _, ok := metricFuncs[m]; !ok {
		return Assertion{}, fmt.Errorf("analysis: assertion %q: unknown metric %q (valid: %s)", expr, m, strings.Join(MetricNames(), ", "))
	}
	return Assertion{Expr: strings.TrimSpace(expr), Metric: m, Op: op, Value: v}, nil
}

// Verdict is an assertion evaluated on one run.
type Verdict struct {
	Assertion string  `json:"assertion"`
	Run       string  `json:"run"`
	Observed  float64 `json:"observed"`
	Pass      bool    `json:"pass"`
	// Missing reports that the run has no such metric (counted as a
	// failure).
	Missing bool `json:"missing,omitempty"`
}

// Check evaluates a on r.
func (a Assertion) Check(r *Run) Verdict {
	v, ok := metricFuncs[a.Metric](r)
	out := Verdict{Assertion: a.Expr, Run: r.File, Observed: v, Missing: !ok}
	if !ok {
		return out
	}
	const eps = 1e-9
	switch a.Op {
	case "<":
		out.Pass = v < a.Value
	case "<=":
		out.Pass = v <= a.Value+eps
	case ">":
		out.Pass = v > a.Value
	case ">=":
		out.Pass = v >= a.Value-eps
	case "==":
		out.Pass = v >= a.Value-eps && v <= a.Value+eps
	case "!=":
		out.Pass = v < a.Value-eps || v > a.Value+eps
	}
	return out
}
