// Package compare runs several retry strategies on the same scenario and
// seeds — in virtual time by default, in parallel across cores — and ranks
// them on the metrics of package analysis.
package compare

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/ratelab/ratelab/analysis"
	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/probe/strategy"
	"github.com/ratelab/ratelab/scenarios"
	"github.com/ratelab/ratelab/target"
)

// Variant is one strategy with parameters: one row of the comparison.
type Variant struct {
	Name     string
	Strategy string
	Params   strategy.Params
}

// Options describe a comparison.
type Options struct {
	Scenario *scenarios.Scenario
	// Variants to run; nil means every built-in strategy with the
	// scenario's parameters for its own strategy and defaults otherwise.
	Variants []Variant
	// Seeds is how many seeds each variant runs with (default 3), from
	// BaseSeed (default the scenario's) upward.
	Seeds    int
	BaseSeed uint64
	// Real runs on the wall clock over loopback instead of virtual time.
	Real bool
	// Ops overrides the scenario's operation count.
	Ops int
	// MaxDuration caps each run's duration; 0 means the scenario's, else
	// one sized to the workload (see maxDuration).
	MaxDuration time.Duration
	// Parallel is how many runs go at once; 0 means one per core.
	Parallel int
	Version  string
	// Objective names the rule rows are ranked by (see Objectives); ""
	// is the default, "shared".
	Objective string
	// Progress, when set, is called after each finished run.
	Progress func(done, total int)
}

// Stat is a metric's mean and spread over seeds.
type Stat struct {
	Mean float64 `json:"mean"`
	SD   float64 `json:"sd"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
}

func stats(xs []float64) Stat {
	if len(xs) == 0 {
		return Stat{}
	}
	s := Stat{Mean: stat.Mean(xs, nil), Min: xs[0], Max: xs[0]}
	if len(xs) > 1 {
		s.SD = stat.StdDev(xs, nil)
	}
	for _, x := range xs {
		s.Min, s.Max = math.Min(s.Min, x), math.Max(s.Max, x)
	}
	return s
}

// Row is one variant's results over all seeds.
type Row struct {
	Rank     int               `json:"rank"`
	Name     string            `json:"name"`
	Strategy string            `json:"strategy"`
	Params   map[string]string `json:"params,omitempty"`
	Winner   bool              `json:"winner,omitempty"`
	// Pareto marks a row no other beats on success, goodput,
	// amplification and neighbour impact at once.
	Pareto           bool  `json:"pareto,omitempty"`
	SuccessRate      Stat  `json:"success_rate"`
	AttemptSuccess   Stat  `json:"attempt_success"`
	Goodput          Stat  `json:"goodput"`
	Efficiency       *Stat `json:"efficiency,omitempty"`
	Amplification    Stat  `json:"amplification"`
	Ratio429         Stat  `json:"ratio_429"`
	LatencyP99       Stat  `json:"latency_p99"`
	DrainTime        Stat  `json:"drain_time"`
	PrematureRetries Stat  `json:"premature_retries"`
	Attempts         Stat  `json:"attempts"`
	// Writes are the requests on writing routes (PATCH, PUT, ...) a run
	// sent; Completion is when its last successful operation ended, in
	// seconds from the start: the work and the time of a contention study.
	// Capped counts the row's runs a cap (time, requests) ended.
	Capped     int  `json:"capped_runs,omitempty"`
	Writes     Stat `json:"writes"`
	Completion Stat `json:"completion"`
	// NeighbourImpact is how many more of the other tenants' requests
	// the gateway refused while this client ran than in the same
	// scenario, seed and span without it.
	NeighbourImpact Stat `json:"neighbour_impact"`
	runs            []*analysis.Run
	work            []work
}

// Check is one of adaptive's targets on a scenario: the project's own
// test of it (TestAdaptiveMeetsItsTargets), not user output.
type Check struct {
	Name     string  `json:"name"`
	Target   string  `json:"target"`
	Observed float64 `json:"observed"`
	Pass     bool    `json:"pass"`
}

// Result is a finished comparison.
type Result struct {
	Schema   int      `json:"schema"`
	Scenario string   `json:"scenario"`
	Clock    string   `json:"clock"`
	Seeds    []uint64 `json:"seeds"`
	Ops      int      `json:"ops"`
	// CutShort says which runs a cap ended, when any did: the comparison
	// then names no winner.
	CutShort string `json:"cut_short,omitempty"`
	Rows     []Row  `json:"rows"`
	// Objective and Rule name and state the rule the rows are ranked by.
	Objective string `json:"objective"`
	Rule      string `json:"rule"`
	Winner    string `json:"winner"`
	Reason    string `json:"reason"`
	// Limited reports whether any run met a 429.
	Limited bool `json:"rate_limited"`
}

// DefaultVariants is every built-in strategy, each with the scenario's
// workload parameters that it takes (so base and cap apply to every
// backoff alike).
func DefaultVariants(sc *scenarios.Scenario) []Variant {
	var vs []Variant
	for _, n := range strategy.Names() {
		vs = append(vs, NamedVariant(sc, n))
	}
	return vs
}

// NamedVariant is the strategy called name with the scenario's workload
// parameters that it takes.
func NamedVariant(sc *scenarios.Scenario, name string) Variant {
	v := Variant{Name: name, Strategy: name}
	info, _ := strategy.Lookup(name)
	for _, p := range info.Params {
		if val, ok := sc.Workload.Params[p.Name]; ok {
			if v.Params == nil {
				v.Params = strategy.Params{}
			}
			v.Params[p.Name] = val
		}
	}
	return v
}

// Sweep expands "strategy.param=v1,v2,..." specs into variants, one per
// combination of values for each strategy named.
func Sweep(specs []string) ([]Variant, error) {
	type axis struct {
		param  string
		values []string
	}
	axes := map[string][]axis{}
	var order []string
	for _, sp := range specs {
		key, vals, ok := strings.Cut(sp, "=")
		strat, param, ok2 := strings.Cut(key, ".")
		if !ok || !ok2 || strat == "" || param == "" || vals == "" {
			return nil, fmt.Errorf("compare: --param %q: want STRATEGY.PARAM=V1,V2,... (e.g. full-jitter.base=5ms,50ms)", sp)
		}
		if !strategy.Known(strat) {
			return nil, fmt.Errorf("compare: --param %q: unknown strategy %q (valid: %s)", sp, strat, strings.Join(strategy.Names(), ", "))
		}
		if _, seen := axes[strat]; !seen {
			order = append(order, strat)
		}
		axes[strat] = append(axes[strat], axis{param, strings.Split(vals, ",")})
	}
	var out []Variant
	for _, strat := range order {
		combos := []strategy.Params{{}}
		for _, ax := range axes[strat] {
			var next []strategy.Params
			for _, c := range combos {
				for _, v := range ax.values {
					p := strategy.Params{}
					for k, x := range c {
						p[k] = x
					}
					p[ax.param] = strings.TrimSpace(v)
					next = append(next, p)
				}
			}
			combos = next
		}
		for _, p := range combos {
			if _, err := strategy.New(strat, p); err != nil {
				return nil, fmt.Errorf("compare: %w", err)
			}
			keys := make([]string, 0, len(p))
			for k := range p {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var kv []string
			for _, k := range keys {
				kv = append(kv, k+"="+p[k])
			}
			out = append(out, Variant{Name: strat + "(" + strings.Join(kv, ",") + ")", Strategy: strat, Params: p})
		}
	}
	return out, nil
}

type job struct {
	row  int
	seed uint64
}

// Run executes the comparison.
func Run(ctx context.Context, o Options) (*Result, error) {
	sc := o.Scenario
	if sc == nil {
		return nil, errors.New("compare: no scenario")
	}
	if o.Seeds <= 0 {
		o.Seeds = 3
	}
	if o.BaseSeed == 0 {
		o.BaseSeed = max(sc.Seed, 1)
	}
	if o.Variants == nil {
		o.Variants = DefaultVariants(sc)
	}
	if o.Parallel <= 0 {
		o.Parallel = runtime.GOMAXPROCS(0)
	}
	obj, err := ObjectiveNamed(o.Objective)
	if err != nil {
		return nil, err
	}
	res := &Result{Schema: 1, Scenario: sc.Name, Clock: "virtual", Ops: o.Ops}
	if o.Real {
		res.Clock = "real"
	}
	for i := 0; i < o.Seeds; i++ {
		res.Seeds = append(res.Seeds, o.BaseSeed+uint64(i))
	}
	rows := make([]Row, len(o.Variants))
	for i, v := range o.Variants {
		rows[i] = Row{Name: v.Name, Strategy: v.Strategy, Params: v.Params, runs: make([]*analysis.Run, o.Seeds), work: make([]work, o.Seeds)}
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	done, total := 0, len(rows)*o.Seeds
	for w := 0; w < o.Parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				run, wk, err := one(ctx, o, o.Variants[j.row], j.seed)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if run != nil {
					rows[j.row].runs[j.seed-o.BaseSeed] = run
					rows[j.row].work[j.seed-o.BaseSeed] = wk
				}
				done++
				if o.Progress != nil {
					o.Progress(done, total)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range rows {
		for _, seed := range res.Seeds {
			jobs <- job{i, seed}
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	res.summarise(rows)
	rank(rows, obj)
	res.Rows = rows
	res.Objective, res.Rule = obj.Name, obj.Rule
	res.Winner, res.Reason = reason(rows, obj)
	res.CutShort = res.cutShort(rows)
	return res, nil
}

// one runs a variant with one seed and analyses its attempt log's
// records as the runner makes them: the analysis gets the very structs
// the log would be written from, and no log is written. It also counts
// the run's writes and completion time.
func one(ctx context.Context, o Options, v Variant, seed uint64) (*analysis.Run, work, error) {
	vis, finish := analysis.NewVisitor(fmt.Sprintf("%s#%d", v.Name, seed))
	var wk work
	var operation string
	res, err := probe.Probe(ctx, probe.Options{Scenario: o.Scenario, Strategy: v.Strategy, Params: v.Params, Ops: o.Ops,
		Seed: seed, MaxDuration: maxDuration(o), Target: target.Spec{Virtual: !o.Real}, Observe: both{vis, &wk}, Version: o.Version,
		Started: func(p probe.Plan) { operation = p.Operation }})
	if err != nil {
		return nil, wk, fmt.Errorf("compare: %s seed %d: %w", v.Name, seed, err)
	}
	run := finish()
	run.Strategy = v.Name
	if res.Summary != nil {
		wk.capped = res.Summary.CapReached
	}
	if run.Metrics != nil {
		wk.truth = gatewayTruth(o.Scenario, operation, seed, res, run.Metrics.Ops, run.Metrics.Succeeded)
		// The gateway's figure replaces the attempt log's estimate.
		run.Metrics.Efficiency = wk.truth.efficiency
	}
	return run, wk, nil
}

// summarise fills each row's statistics and the result's Limited and Ops.
func (res *Result) summarise(rows []Row) {
	for i := range rows {
		summarise(&rows[i])
		for _, r := range rows[i].runs {
			if r.Metrics != nil && r.RetryAfter.Throttled > 0 {
				res.Limited = true
			}
			if res.Ops == 0 && r.Metrics != nil {
				res.Ops = r.Metrics.Ops
			}
		}
	}
}

func summarise(r *Row) {
	for _, w := range r.work {
		if w.capped != "" {
			r.Capped++
		}
	}
	col := func(f func(m *analysis.Metrics) float64) Stat {
		var xs []float64
		for _, run := range r.runs {
			if run != nil && run.Metrics != nil {
				xs = append(xs, f(run.Metrics))
			}
		}
		return stats(xs)
	}
	r.SuccessRate = col(func(m *analysis.Metrics) float64 { return m.SuccessRate })
	r.AttemptSuccess = col(func(m *analysis.Metrics) float64 { return m.AttemptSuccess })
	r.Goodput = col(func(m *analysis.Metrics) float64 { return m.Goodput })
	r.Amplification = col(func(m *analysis.Metrics) float64 { return m.Amplification })
	r.Ratio429 = col(func(m *analysis.Metrics) float64 { return m.Ratio429 })
	r.LatencyP99 = col(func(m *analysis.Metrics) float64 { return m.LatencyP99 })
	r.DrainTime = col(func(m *analysis.Metrics) float64 { return m.DrainTime })
	r.PrematureRetries = col(func(m *analysis.Metrics) float64 { return float64(m.PrematureRetries) })
	r.Attempts = col(func(m *analysis.Metrics) float64 { return float64(m.Attempts) })
	var writes, done, nb []float64
	for i, run := range r.runs {
		if run != nil && run.Metrics != nil {
			writes, done = append(writes, float64(r.work[i].writes)), append(done, float64(r.work[i].lastEnd)/1e9)
			nb = append(nb, r.work[i].truth.neighbour)
		}
	}
	r.Writes, r.Completion, r.NeighbourImpact = stats(writes), stats(done), stats(nb)
	if len(r.runs) > 0 && r.runs[0] != nil && r.runs[0].Metrics != nil && r.runs[0].Metrics.Efficiency != nil {
		e := col(func(m *analysis.Metrics) float64 {
			if m.Efficiency == nil {
				return 0
			}
			return *m.Efficiency
		})
		r.Efficiency = &e
	}
}

// adaptiveChecks states adaptive's targets on a rate-limited scenario: at
// least 99% success, amplification at most 1.1, efficiency at least 0.9,
// and no strategy with comparable success (within a point of adaptive's)
// more than 2% above its goodput. Strategies that finish early by failing
// operations are not counted as beating it.
func adaptiveChecks(rows []Row, limited bool) []Check {
	if !limited {
		return nil
	}
	var ad *Row
	best := 0.0
	for i := range rows {
		if rows[i].Strategy == "adaptive" && rows[i].Name == "adaptive" && ad == nil {
			ad = &rows[i]
		}
	}
	if ad == nil {
		return nil
	}
	for i := range rows {
		if rows[i].SuccessRate.Mean >= ad.SuccessRate.Mean-0.01-1e-9 { // a point, not a rounding error
			best = math.Max(best, rows[i].Goodput.Mean)
		}
	}
	cs := []Check{
		{"success rate", ">= 0.99", ad.SuccessRate.Mean, ad.SuccessRate.Mean >= 0.99},
		{"amplification", "<= 1.1", ad.Amplification.Mean, ad.Amplification.Mean <= 1.1},
	}
	if ad.Efficiency != nil {
		cs = append(cs, Check{"efficiency", ">= 0.9", ad.Efficiency.Mean, ad.Efficiency.Mean >= 0.9})
	}
	ratio := 1.0
	if ad.Goodput.Mean > 0 {
		ratio = best / ad.Goodput.Mean
	}
	cs = append(cs, Check{"best comparable goodput ÷ adaptive's", "<= 1.02", ratio, ratio <= 1.02})
	return cs
}
