package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/mockgateway/limit"
)

// Dist is a latency distribution's shape.
type Dist uint8

// The latency distributions. The zero value is Constant.
const (
	Constant  Dist = iota // always Value
	Uniform               // uniform in [Min, Max]
	Normal                // normal around Mean with Stddev
	Lognormal             // log-normal with Mean and Stddev
)

var distNames = []string{"constant", "uniform", "normal", "lognormal"}

// String returns the distribution's name as written in scenario files.
func (d Dist) String() string {
	if int(d) < len(distNames) {
		return distNames[d]
	}
	return fmt.Sprintf("dist(%d)", int(d))
}

// defaults fills in l's distribution: normal when a stddev is given,
// uniform when a max is, else constant, whose value is the mean when only
// a mean is given.
func (l *Latency) defaults() {
	if l == nil {
		return
	}
	if l.Dist == "" {
		switch {
		case l.Stddev > 0:
			l.Dist = "normal"
		case l.Max > 0:
			l.Dist = "uniform"
		default:
			l.Dist = "constant"
		}
	}
	if l.Dist == "constant" && l.Value == 0 && l.Mean > 0 {
		l.Value = l.Mean
	}
}

// resolve parses every closed-set option's text into its typed field,
// once, at load (after defaults). A text it cannot parse leaves the field
// zero and its path in s.unparsed, for Validate to report.
func (s *Scenario) resolve() {
	s.unparsed = map[string]bool{}
	g := &s.Gateway
	for i := range g.Buckets {
		b := &g.Buckets[i]
		p := fmt.Sprintf("gateway.buckets[%d]", i)
		parseOption(s, p+".scope", b.Scope, &b.ParsedScope, limit.ParseScope)
		parseOption(s, p+".algorithm", b.Algorithm, &b.ParsedAlgorithm, limit.ParseAlgorithm)
		if b.Reset != "" {
			parseOption(s, p+".reset", b.Reset, &b.ParsedReset, parseTimeOfDay)
		}
	}
	for i := range g.Routes {
		r := &g.Routes[i]
		p := fmt.Sprintf("gateway.routes[%d]", i)
		r.Any = r.Match == "*"
		if !r.Any {
			parseOption(s, p+".match", r.Match, &r.API, parseRoute)
		}
		if r.Latency != nil {
			parseOption(s, p+".latency.dist", r.Latency.Dist, &r.Latency.ParsedDist, parseDist)
		}
	}
	for i := range g.Faults.Errors {
		e := &g.Faults.Errors[i]
		for j, name := range e.Routes {
			var id api.RouteID
			if parseOption(s, fmt.Sprintf("gateway.faults.errors[%d].routes[%d]", i, j), name, &id, parseRoute) {
				e.Only = e.Only.With(id)
			}
		}
	}
	if l := g.Faults.Latency; l != nil {
		parseOption(s, "gateway.faults.latency.dist", l.Dist, &l.ParsedDist, parseDist)
	}
	parseOption(s, "gateway.retry_after.mode", g.RetryAfter.Mode, &g.RetryAfter.ParsedMode, limit.ParseRetryAfterMode)
	for i := range g.RetryAfter.Choices {
		c := &g.RetryAfter.Choices[i]
		parseOption(s, fmt.Sprintf("gateway.retry_after.choices[%d].mode", i), c.Mode, &c.ParsedMode, limit.ParseRetryAfterMode)
	}
	for i := range g.Background {
		bg := &g.Background[i]
		parseOption(s, fmt.Sprintf("gateway.background[%d].pattern", i), bg.Pattern, &bg.Poisson, parsePoisson)
	}
	parseOption(s, "gateway.users.ids", g.Users.IDs, &g.Users.Sequential, parseSequential)
	w := &s.Workload
	parseOption(s, "workload.operation", w.Operation, &w.Op, parseOperation)
	parseOption(s, "workload.arrival", w.Arrival, &w.Poisson, parsePoisson)
}

// parseOption sets *out to parse(text), or marks path unparsed.
// It reports whether it parsed.
func parseOption[T any](s *Scenario, path, text string, out *T, parse func(string) (T, error)) bool {
	v, err := parse(text)
	if err != nil {
		s.unparsed[path] = true
		return false
	}
	*out = v
	return true
}

func parseRoute(name string) (api.RouteID, error) {
	if id, ok := api.RouteNamed(name); ok && !id.Route().Login {
		return id, nil
	}
	return 0, fmt.Errorf("unknown route %q", name)
}

func parseOperation(name string) (api.Operation, error) {
	if o, ok := api.OperationNamed(name); ok {
		return o, nil
	}
	return api.Operation{}, fmt.Errorf("unknown operation %q", name)
}

// parseDist parses a latency distribution's name.
func parseDist(text string) (Dist, error) {
	for i, n := range distNames {
		if n == text {
			return Dist(i), nil
		}
	}
	return 0, fmt.Errorf("unknown distribution %q", text)
}

// parseTimeOfDay parses "HH:MM" (00:00 to 23:59) into the time past
// midnight.
func parseTimeOfDay(text string) (time.Duration, error) {
	h, m, ok := strings.Cut(text, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, fmt.Errorf("%q is not HH:MM", text)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || h[0] == '+' || m[0] == '+' {
		return 0, fmt.Errorf("%q is not HH:MM", text)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// parsePoisson parses an arrival pattern: constant (false) or poisson.
func parsePoisson(text string) (bool, error) { return either(text, "constant", "poisson") }

// parseSequential parses a user id style: uuid (false) or sequential.
func parseSequential(text string) (bool, error) { return either(text, "uuid", "sequential") }

func either(text, no, yes string) (bool, error) {
	switch text {
	case no:
		return false, nil
	case yes:
		return true, nil
	}
	return false, fmt.Errorf("%q is neither %s nor %s", text, no, yes)
}
