// Package strategy holds ratelab's retry strategies.
//
// A Policy decides; it never sleeps and never reads a clock. The runner
// tells it the time and what happened, and it answers how long to wait
// before the next send, or to stop. That keeps every strategy usable in real
// and virtual time and makes its formulas table-testable.
//
// State lives where its real counterpart keeps it. One Policy serves one
// client (all of its workers) and holds what real implementations share
// per client: AWS's retry quota and adaptive rate limiter, the SRE
// throttle's history, a retry budget, a token bucket, adaptive's pacer.
// Each operation gets its own Operation from Policy.NewOperation, holding
// what real implementations keep per request: the retry count, decorrelated
// jitter's last sleep, an SDK's per-call counters. An Operation lives until
// its operation completes or fails, so an intermediate success (the GET
// before a PATCH, the re-read after a 409) does not reset it. A Policy that
// also implements Observer hears every attempt of every operation, so
// shared pacers learn from all of the client's traffic. Each Info says
// which state the strategy keeps where.
//
// Policies and their Operations are not safe for concurrent use: the runner
// serialises calls to each client's policy and that client's operations.
//
// Strategies are named in a registry (Register, New, Names, Infos), so a
// scenario file or a flag can pick one with parameters; an unknown name or
// parameter is an error listing the valid ones.
package strategy

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Outcome is what happened to one attempt, as the policy sees it.
type Outcome struct {
	// Now is when the attempt finished.
	Now time.Time
	// Attempt counts the operation's retryable failures so far, this
	// outcome's included: 0 after a first-try success, 1 after the first
	// failure, so it is the retry number n of the backoff formulas. Steps
	// that succeed (the read before a write) do not count.
	Attempt int
	// Status is the HTTP status; 0 for a transport error or a local
	// rejection.
	Status int
	// RetryAfter is the parsed hint; valid when HasRetryAfter.
	RetryAfter    time.Duration
	HasRetryAfter bool
	// RetryAfterText is the Retry-After header as sent, "" when absent:
	// SDKs that parse only integer seconds read it themselves.
	RetryAfterText string
	// Retryable reports whether the runner would retry this outcome at all
	// (429, 5xx, 409 conflicts, transport errors). An operation is told
	// about every one of its outcomes, successes included.
	Retryable bool
	// Throttled reports a rate-limit answer (429, or 503 with Retry-After).
	Throttled bool
	// Complete reports a 2xx that completes the operation. A 2xx that
	// leaves it incomplete (the read before a write) is an intermediate
	// step, not the operation's success.
	Complete bool
}

// Decision is a policy's answer after an attempt.
type Decision struct {
	// Stop ends the operation: no more attempts.
	Stop bool
	// Wait is how long to wait before the next attempt.
	Wait time.Duration
}

// Policy is a retry strategy for one client: the state it shares among
// all of the client's workers, and a factory for each operation's own.
type Policy interface {
	// Pace is called before every send, first attempts included. It returns
	// 0 to send now (and counts the send), or how long to hold it: a wait
	// reserves nothing, and the runner asks again when it is over, so a
	// pause decided meanwhile still applies. drop rejects the send locally
	// (recorded without a request, then treated as a retryable failure).
	Pace(now time.Time, rng *rand.Rand) (wait time.Duration, drop bool)
	// NewOperation is called when an operation starts and returns the
	// state that operation keeps until it ends.
	NewOperation() Operation
}

// Operation is one operation's retry state: what a real client keeps per
// request (attempt counts, the last sleep). It may also consult the state
// its Policy shares per client.
type Operation interface {
	// After is called after every attempt of the operation and decides
	// whether and when to retry. Its answer is ignored for outcomes that
	// are not retryable.
	After(o Outcome, rng *rand.Rand) Decision
}

// Observer is an optional Policy capability: Observe is told every
// attempt's outcome, from every operation of the client, before that
// operation's After, so shared pacers and limiters learn from all of the
// client's responses.
type Observer interface {
	Observe(o Outcome)
}

// Param describes one strategy parameter.
type Param struct {
	Name    string
	Default string
	Doc     string
}

// Info describes a strategy for `ratelab strategies list` and `show`.
type Info struct {
	Name    string
	Summary string
	Formula string
	Params  []Param
	// PerOperation says what the strategy keeps per operation (its
	// Operation's state); "" means nothing.
	PerOperation string
	// PerClient says what it shares among all of a client's workers (its
	// Policy's state); "" means nothing.
	PerClient string
	// Source names the implementation or publication it follows.
	Source string
	// Note is anything else a user should know, such as where defaults
	// come from; "" means nothing.
	Note string
}

// Params are parameter values by name, as text ("100ms", "0.1", "3").
type Params map[string]string

// Factory builds a policy from parameters that have already been checked
// against the strategy's Info and completed with defaults.
type Factory func(p *Values) (Policy, error)

type entry struct {
	info Info
	new  Factory
}

var registry = map[string]entry{}

// Register adds a strategy. It panics on a duplicate name, a programmer
// error.
func Register(info Info, f Factory) {
	if _, dup := registry[info.Name]; dup {
		panic("strategy: duplicate registration of " + info.Name)
	}
	registry[info.Name] = entry{info, f}
}

// Names returns the registered strategy names in table order.
func Names() []string {
	infos := Infos()
	names := make([]string, len(infos))
	for i, in := range infos {
		names[i] = in.Name
	}
	return names
}

// order is the order of the table in docs/strategies.md#order; strategies
// not in it sort after.
var order = []string{"none", "naive", "fixed", "exponential", "full-jitter", "equal-jitter",
	"decorrelated-jitter", "retry-after", "token-bucket", "retry-budget", "aws-standard",
	"aws-adaptive", "sre-throttle", "adaptive", "sdk-go", "sdk-python", "sdk-dotnet", "sdk-java"}

func rank(name string) int {
	for i, n := range order {
		if n == name {
			return i
		}
	}
	return len(order)
}

// Infos returns every registered strategy's description in table order.
func Infos() []Info {
	out := make([]Info, 0, len(registry))
	for _, e := range registry {
		out = append(out, e.info)
	}
	sort.Slice(out, func(i, j int) bool {
		ri, rj := rank(out[i].Name), rank(out[j].Name)
		if ri != rj {
			return ri < rj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Known reports whether name is a registered strategy.
func Known(name string) bool {
	_, ok := registry[name]
	return ok
}

// Lookup returns the description of the strategy called name.
func Lookup(name string) (Info, bool) {
	e, ok := registry[name]
	return e.info, ok
}

// New builds the strategy called name with parameters p; parameters not
// given take their defaults.
func New(name string, p Params) (Policy, error) {
	e, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("strategy: unknown strategy %q (valid: %s)", name, strings.Join(Names(), ", "))
	}
	vals := Values{strategy: name, v: map[string]string{}}
	for _, prm := range e.info.Params {
		vals.v[prm.Name] = prm.Default
	}
	for k, v := range p {
		if _, ok := vals.v[k]; !ok {
			var valid []string
			for _, prm := range e.info.Params {
				valid = append(valid, prm.Name)
			}
			if len(valid) == 0 {
				return nil, fmt.Errorf("strategy: %s takes no parameters, got %q", name, k)
			}
			return nil, fmt.Errorf("strategy: %s has no parameter %q (valid: %s)", name, k, strings.Join(valid, ", "))
		}
		vals.v[k] = v
	}
	pol, err := e.new(&vals)
	if err != nil {
		return nil, err
	}
	if vals.err != nil {
		return nil, vals.err
	}
	return pol, nil
}

// Values reads typed parameter values; the first bad one is kept as the
// error New returns.
type Values struct {
	strategy string
	v        map[string]string
	err      error
}

func (vs *Values) bad(name, want string) {
	if vs.err == nil {
		vs.err = fmt.Errorf("strategy: %s.%s: %q is not %s", vs.strategy, name, vs.v[name], want)
	}
}

// Duration returns the parameter as a duration with a unit, >= 0.
func (vs *Values) Duration(name string) time.Duration {
	d, err := time.ParseDuration(vs.v[name])
	if err != nil || d < 0 {
		vs.bad(name, "a non-negative duration with a unit (e.g. 100ms)")
	}
	return d
}

// Float returns the parameter as a number >= 0.
func (vs *Values) Float(name string) float64 {
	f, err := strconv.ParseFloat(vs.v[name], 64)
	if err != nil || f < 0 {
		vs.bad(name, "a non-negative number")
	}
	return f
}

// Int returns the parameter as a whole number >= 0.
func (vs *Values) Int(name string) int {
	n, err := strconv.Atoi(vs.v[name])
	if err != nil || n < 0 {
		vs.bad(name, "a non-negative whole number")
	}
	return n
}

// Rate returns the parameter as events per second, written "5/s", "300/min"
// or a bare number of events per second.
func (vs *Values) Rate(name string) float64 {
	s := vs.v[name]
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 {
		return f
	}
	num, per, ok := strings.Cut(s, "/")
	n, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || n <= 0 {
		vs.bad(name, "a positive rate such as 5/s or 300/min")
		return 1
	}
	switch per {
	case "s":
		return n
	case "min":
		return n / 60
	case "h":
		return n / 3600
	}
	d, err := time.ParseDuration(per)
	if err != nil || d <= 0 {
		vs.bad(name, "a positive rate such as 5/s or 300/min")
		return 1
	}
	return n / d.Seconds()
}

// PolicyFunc adapts a function to a Policy that never paces and keeps no
// state anywhere: every operation decides with f.
type PolicyFunc func(o Outcome, rng *rand.Rand) Decision

// Pace never holds a send.
func (PolicyFunc) Pace(time.Time, *rand.Rand) (time.Duration, bool) { return 0, false }

// NewOperation returns f as the operation's state.
func (f PolicyFunc) NewOperation() Operation { return OperationFunc(f) }

// OperationFunc adapts a function to an Operation.
type OperationFunc func(o Outcome, rng *rand.Rand) Decision

// After calls f.
func (f OperationFunc) After(o Outcome, rng *rand.Rand) Decision { return f(o, rng) }

// PerOperation adapts a factory to a Policy that never paces and shares
// nothing among operations: all its state is per operation.
type PerOperation func() Operation

// Pace never holds a send.
func (PerOperation) Pace(time.Time, *rand.Rand) (time.Duration, bool) { return 0, false }

// NewOperation calls f.
func (f PerOperation) NewOperation() Operation { return f() }
