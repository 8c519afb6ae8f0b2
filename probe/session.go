package probe

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ratelab/ratelab/mockgateway/limit"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/probe/client"
	"github.com/ratelab/ratelab/probe/strategy"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/scenarios"
	"github.com/ratelab/ratelab/target"
)

// DefaultLiveMaxRequests caps total requests against a live target unless
// a cap is given explicitly.
const DefaultLiveMaxRequests = 1000

// ErrUsage marks errors in the options (exit code 2 in the CLI); it is
// target.ErrUsage, so every package wraps the same way.
var ErrUsage = target.ErrUsage

var usagef = target.Usagef

// Options describe a probe run from a scenario. Zero fields take the
// scenario's workload values, then built-in defaults.
type Options struct {
	Scenario *scenarios.Scenario
	// Target says where requests go: the zero Spec starts the scenario's
	// gateway on 127.0.0.1:0, Virtual runs it in virtual time, URL names a
	// live API. Its Scenario, Seed and Version are filled in from these
	// options.
	Target      target.Spec
	Strategy    string
	Params      strategy.Params
	Operation   string
	Concurrency int
	Rate        float64
	RampTo      float64
	Ramp        time.Duration
	Poisson     bool
	Ops         int
	Input       string
	Seed        uint64
	MaxAttempts int
	MaxRequests int
	MaxDuration time.Duration
	Grace       time.Duration
	// Log receives the attempt log.
	Log io.Writer
	// Observe is given every attempt-log record as it is written (see
	// Config.Observe).
	Observe  record.AttemptVisitor
	Version  string
	Progress func(Progress)
	// Started, when set, is told what the run will do once the target is
	// open and the work is known, before the first request of the run.
	Started func(Plan)
}

// Plan is a run about to start, resolved: what Options.Started is told.
type Plan struct {
	// Target is the target's name, as in the attempt log's header.
	Target, Strategy, Operation string
	Ops                         int
}

// Result is a finished probe.
type Result struct {
	Summary  *record.Summary
	Target   string
	Strategy string
	// Gateway is the served gateway's truth at the end of the run (nil for
	// a URL target): every bucket's counters, background load included,
	// and its states; GatewayStart and GatewayEnd bound the gateway's
	// life on its clock.
	Gateway                  []limit.BucketStats
	GatewayStart, GatewayEnd time.Time
	// MaxDuration is the run's time cap; WaitPastCap the longest wait a
	// strategy asked for that ended an operation past it (reason
	// wait-past-cap), 0 when none did.
	MaxDuration, WaitPastCap time.Duration
}

// Probe runs the options' workload and returns the summary. An error
// closing the target (its gateway's access log could not be written) is
// the run's error too.
func Probe(ctx context.Context, o Options) (res *Result, err error) {
	if err := o.resolve(); err != nil {
		return nil, err
	}
	var work Work
	if o.Input != "" {
		// A bad work file is refused before the target opens (and its
		// gateway writes a log).
		var err error
		if work, err = o.input(); err != nil {
			return nil, err
		}
	}
	spec := o.Target
	spec.Scenario, spec.Seed, spec.Version = o.Scenario, o.Seed, o.Version
	op, _ := api.OperationNamed(o.Operation)
	spec.Writes = op.Writes()
	t, err := target.Open(spec)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := t.Close(context.WithoutCancel(ctx)); cerr != nil && err == nil {
			err = fmt.Errorf("probe: closing the target: %w", cerr)
		}
		if res != nil && t.Gateway != nil {
			res.GatewayStart, res.GatewayEnd = t.Gateway.Start(), t.Clock.Now()
			res.Gateway = t.Gateway.Model().Stats(res.GatewayEnd)
		}
	}()
	var budget *client.Budget
	if t.Gateway == nil {
		// A URL target counts every request against the cap: logins and
		// the user listing as well as attempts.
		budget = client.NewBudget(o.maxRequests(t, -1))
	}
	agents := o.agents(t, budget)
	if work == nil {
		listed := t.Clock.Now()
		if work, err = o.generate(ctx, t, agents[0].Client); err != nil {
			return nil, err
		}
		if t.Gateway == nil {
			// The listing's time, throttled waits included, is part of
			// the run's --max-duration.
			if o.MaxDuration -= t.Clock.Now().Sub(listed); o.MaxDuration <= 0 {
				return nil, fmt.Errorf("probe: listing users took the whole --max-duration; give work with --input")
			}
		}
	}
	cfg := o.config(t, agents, work)
	if budget != nil {
		budget.SetLimit(cfg.MaxRequests)
	}
	if o.Started != nil {
		o.Started(Plan{Target: t.Name, Strategy: o.Strategy, Operation: o.Operation, Ops: work.Len()})
	}
	r, sum, err := run(ctx, cfg)
	res = &Result{Summary: sum, Target: t.Name, Strategy: o.Strategy, MaxDuration: cfg.MaxDuration}
	if r != nil {
		res.WaitPastCap = r.pastCap
	}
	return res, err
}

// ListRetries is how many times a URL target's user listing is asked
// again after a throttled answer, each after the wait the answer asks for.
const ListRetries = 5

// resolve fills zero options from the scenario's workload, then defaults,
// and checks the operation and strategy.
func (o *Options) resolve() error {
	sc := o.Scenario
	if sc == nil {
		return usagef("no scenario")
	}
	if err := o.checkSigns(); err != nil {
		return err
	}
	w := sc.Workload
	if o.Strategy == "" {
		o.Strategy = w.Strategy
		if o.Params == nil {
			o.Params = w.Params
		}
	}
	switch {
	case o.Operation != "":
	case o.Target.URL != "":
		// A URL is not the scenario's gateway: its workload's operation
		// may write, or use a route (the seed report's PUT) Genesys does
		// not have. A read is the safe default.
		o.Operation = "get-user"
	default:
		o.Operation = w.Operation
	}
	if _, ok := api.OperationNamed(o.Operation); !ok {
		return usagef("unknown operation %q (valid: %s)", o.Operation, strings.Join(api.OperationNames(), ", "))
	}
	if o.Seed == 0 {
		o.Seed = sc.Seed
	}
	if o.Rate == 0 && o.Concurrency == 0 {
		o.Concurrency = w.Concurrency
		if w.Rate != nil {
			// Scenario rates are compressed with the rest of its time.
			o.Rate = w.Rate.Rate.Scale(sc.TimeScale).PerSecond()
			o.Poisson = o.Poisson || w.Poisson
		}
	}
	o.MaxAttempts = pick(o.MaxAttempts, w.MaxAttempts, 20)
	if o.MaxDuration == 0 {
		o.MaxDuration = sc.Scaled(w.MaxDuration.D())
	}
	if o.MaxDuration == 0 {
		o.MaxDuration = 10 * time.Minute
	}
	if o.Grace == 0 {
		o.Grace = 5 * time.Second
	}
	if _, err := strategy.New(o.Strategy, o.Params); err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	return nil
}

// checkSigns refuses negative counts, rates and durations: zero means
// "the scenario's, else the default", and below zero means nothing.
func (o *Options) checkSigns() error {
	for _, c := range []struct {
		flag string
		v    float64
	}{
		{"--concurrency", float64(o.Concurrency)}, {"--ops", float64(o.Ops)}, {"--max-attempts", float64(o.MaxAttempts)},
		{"--max-requests", float64(o.MaxRequests)}, {"--max-duration", float64(o.MaxDuration)}, {"--grace", float64(o.Grace)},
		{"--rate", o.Rate}, {"--rate", o.RampTo}, {"--ramp", float64(o.Ramp)},
	} {
		if c.v < 0 {
			return usagef("%s must not be negative (0 takes the scenario's value)", c.flag)
		}
	}
	return nil
}

// pick is the first non-zero of a flag, the scenario's value and a default.
func pick(flag, scen, def int) int {
	if flag != 0 {
		return flag
	}
	if scen != 0 {
		return scen
	}
	return def
}

// agents gives each of the target's clients its own sync client, policy
// and random stream; their requests take from budget (nil: no budget).
func (o *Options) agents(t *target.Target, budget *client.Budget) []*Agent {
	var agents []*Agent
	for i, c := range t.Clients {
		pol, _ := strategy.New(o.Strategy, o.Params)
		cl := t.NewClient(c)
		cl.Budget = budget
		agents = append(agents, &Agent{Name: c.ClientID, Client: cl, Policy: pol, Rand: rand.New(rand.NewPCG(o.Seed, uint64(i)+1))})
	}
	return agents
}

// input is the run's items from --input.
func (o *Options) input() (Work, error) {
	work, err := LoadWork(o.Input)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if o.Ops > 0 && o.Ops < len(work) {
		work = work[:o.Ops]
	}
	return Items(work), nil
}

// generate is the run's items without --input: generated over the target's
// users (the served gateway's, or listed from a URL target with c).
func (o *Options) generate(ctx context.Context, t *target.Target, c *client.Client) (Work, error) {
	w := o.Scenario.Workload
	var users []string
	if t.Gateway != nil {
		users = t.Gateway.SampleUserIDs(o.Scenario.Gateway.Users.Count)
	} else {
		// Throttled listings are waited out within the run's time cap.
		lctx, cancel := context.WithTimeout(ctx, o.MaxDuration)
		defer cancel()
		var err error
		if users, err = c.ListUserIDsRetrying(lctx, 100, 100, ListRetries); err != nil {
			return nil, fmt.Errorf("probe: %w (--max-duration %v; or give work with --input)", err, o.MaxDuration)
		}
	}
	if w.Users > 0 && w.Users < len(users) {
		users = users[:w.Users]
	}
	return Generated(users, pick(o.Ops, w.Ops, 100), o.Seed), nil
}

// config is the runner's configuration: caps, and the header that records
// the run's setup.
func (o *Options) config(t *target.Target, agents []*Agent, work Work) Config {
	sc := o.Scenario
	maxReq := o.maxRequests(t, work.Len())
	// The capacity the scenario leaves is known only for its own gateway.
	var capacity, burst float64
	var window time.Duration
	if t.Gateway != nil {
		capacity, burst, window = sc.CapacityShape(o.Operation)
	}
	clockName := "real"
	if t.Virtual() {
		clockName = "virtual"
	}
	return Config{
		Agents: agents, Clock: t.Clock, Operation: o.Operation, Work: work,
		Concurrency: o.Concurrency, Rate: o.Rate, RampTo: o.RampTo, Ramp: o.Ramp, Poisson: o.Poisson,
		MaxAttempts: o.MaxAttempts, MaxRequests: maxReq, MaxDuration: o.MaxDuration, Grace: o.Grace,
		Seed: o.Seed, Log: o.Log, Observe: o.Observe, Progress: o.Progress,
		Header: record.Header{Version: o.Version, Scenario: sc.Name, Strategy: o.Strategy, Params: o.Params, Target: t.Name, Clock: clockName, Capacity: capacity, CapacityBurst: burst, CapacityWindowNS: int64(window)},
	}
}

// maxRequests is the run's request cap for n work items: the flag's, else
// the scenario's, else n × max attempts (at most DefaultLiveMaxRequests
// for a live target). n < 0 means not yet known: the cap then is the
// flag's, the scenario's, DefaultLiveMaxRequests for a live target, or
// none.
func (o *Options) maxRequests(t *target.Target, n int) int {
	if m := pick(o.MaxRequests, o.Scenario.Workload.MaxRequests, 0); m != 0 {
		return m
	}
	switch {
	case t.Live && n < 0:
		return DefaultLiveMaxRequests
	case n < 0:
		return math.MaxInt
	case t.Live:
		return min(n*o.MaxAttempts, DefaultLiveMaxRequests)
	}
	return n * o.MaxAttempts
}
