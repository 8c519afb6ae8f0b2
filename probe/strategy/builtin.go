package strategy

import (
	"math/rand/v2"
	"time"

	"golang.org/x/time/rate"
)

// Exp returns min(cap, base·2^n) without overflow.
func Exp(base, cap time.Duration, n int) time.Duration {
	if n < 0 {
		n = 0
	}
	if n > 62 || base<<uint(n)>>uint(n) != base {
		return cap
	}
	return min(cap, base<<uint(n))
}

// uniform returns a duration drawn uniformly from [lo, hi].
func uniform(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(rng.Int64N(int64(hi-lo)+1))
}

var (
	baseParam = Param{"base", "100ms", "first backoff step"}
	capParam  = Param{"cap", "30s", "longest single wait"}
)

// Where the classic strategies keep their state, and their source.
const (
	retryN = "the retry number n (counted by the runner per operation)"
	blog   = `AWS Architecture Blog, "Exponential Backoff and Jitter" (Brooker, 2015)`
)

func init() {
	registerBaselines()
	registerBackoffs()
	registerHintAndPacing()
	registerSDKsAndThrottles()
	registerAdaptive()
	registerGenesysSDKs()
}

// registerBaselines registers the strategies that keep no state.
func registerBaselines() {
	Register(Info{Name: "none", Summary: "never retry", Formula: "stop after the first attempt",
		Source: "the baseline; what the JavaScript SDK does (docs/sdk-retry.md#javascript-sdk)"},
		func(*Values) (Policy, error) {
			return PolicyFunc(func(Outcome, *rand.Rand) Decision { return Decision{Stop: true} }), nil
		})

	Register(Info{Name: "naive", Summary: "the seed report's loop: sleep exactly Retry-After, retry forever",
		Formula: "wait = Retry-After, or default when absent; only the runner's caps stop it",
		Params:  []Param{{"default", "5s", "wait when there is no Retry-After"}},
		Source:  "the seed report's sync script"},
		func(v *Values) (Policy, error) {
			def := v.Duration("default")
			return PolicyFunc(func(o Outcome, _ *rand.Rand) Decision {
				if o.HasRetryAfter {
					return Decision{Wait: o.RetryAfter}
				}
				return Decision{Wait: def}
			}), nil
		})

	Register(Info{Name: "fixed", Summary: "constant delay", Formula: "wait = delay",
		Params: []Param{{"delay", "1s", "wait between attempts"}}, Source: "the textbook constant retry delay"},
		func(v *Values) (Policy, error) {
			d := v.Duration("delay")
			return PolicyFunc(func(Outcome, *rand.Rand) Decision { return Decision{Wait: d} }), nil
		})
}

// registerBackoffs registers the AWS blog's exponential backoffs, whose
// waits depend on the operation's retry number (and, for decorrelated
// jitter, its last sleep).
func registerBackoffs() {
	Register(Info{Name: "exponential", Summary: "exponential backoff, no jitter",
		Formula: "wait = min(cap, base·2^n)", Params: []Param{baseParam, capParam},
		PerOperation: retryN, Source: blog + `: "Exponential"`},
		func(v *Values) (Policy, error) {
			base, cp := v.Duration("base"), v.Duration("cap")
			return PolicyFunc(func(o Outcome, _ *rand.Rand) Decision {
				return Decision{Wait: Exp(base, cp, o.Attempt)}
			}), nil
		})

	Register(Info{Name: "full-jitter", Summary: "exponential backoff, fully jittered (AWS architecture blog)",
		Formula: "wait = U(0, min(cap, base·2^n))", Params: []Param{baseParam, capParam},
		PerOperation: retryN, Source: blog + `: "Full Jitter"`},
		func(v *Values) (Policy, error) {
			base, cp := v.Duration("base"), v.Duration("cap")
			return PolicyFunc(func(o Outcome, rng *rand.Rand) Decision {
				return Decision{Wait: uniform(rng, 0, Exp(base, cp, o.Attempt))}
			}), nil
		})

	Register(Info{Name: "equal-jitter", Summary: "half fixed, half jittered exponential backoff",
		Formula: "t = min(cap, base·2^n); wait = t/2 + U(0, t/2)", Params: []Param{baseParam, capParam},
		PerOperation: retryN, Source: blog + `: "Equal Jitter"`},
		func(v *Values) (Policy, error) {
			base, cp := v.Duration("base"), v.Duration("cap")
			return PolicyFunc(func(o Outcome, rng *rand.Rand) Decision {
				t := Exp(base, cp, o.Attempt)
				return Decision{Wait: t/2 + uniform(rng, 0, t/2)}
			}), nil
		})

	Register(Info{Name: "decorrelated-jitter", Summary: "each wait drawn from the last, per operation",
		Formula: "sleep = min(cap, U(base, 3·sleep)), starting at base for each operation",
		Params:  []Param{baseParam, capParam},
		PerOperation: "the last sleep, base when the operation starts; an intermediate success " +
			"(the read before the write, the re-read after a 409) keeps it",
		Source: blog + `: "Decorrelated Jitter", each client's retry loop keeping its own sleep`},
		func(v *Values) (Policy, error) {
			base, cp := v.Duration("base"), v.Duration("cap")
			return PerOperation(func() Operation { return &decorrelated{base: base, cap: cp, sleep: base} }), nil
		})
}

// registerHintAndPacing registers the strategies built on Retry-After and
// client-side pacing.
func registerHintAndPacing() {
	raParams := []Param{{"floor", "100ms", "shortest wait honoured"}, {"cap", "60s", "longest wait honoured"},
		{"jitter", "0.2", "extra wait as a fraction of the hint, drawn uniformly"}, baseParam}
	Register(Info{Name: "retry-after", Summary: "honour Retry-After, clamped and jittered; back off when it is absent or 0",
		Formula: "wait = clamp(RA, floor, cap)·(1 + U(0, jitter)); RA absent or 0: U(0, min(cap, base·2^n))",
		Params:  raParams, PerOperation: retryN,
		Source: "RFC 9110 §10.2.3 Retry-After, with the AWS blog's full jitter when there is no usable hint"},
		func(v *Values) (Policy, error) {
			r := newRetryAfter(v)
			return PolicyFunc(r.after), nil
		})

	Register(Info{Name: "token-bucket", Summary: "client-side pacing with x/time/rate, plus retry-after",
		Formula:      "sends paced to rate with burst; retries as retry-after",
		Params:       append([]Param{{"rate", "3/s", "client-side send rate"}, {"burst", "1", "client-side burst"}}, raParams...),
		PerOperation: retryN, PerClient: "the token bucket every send of the client draws from",
		Source: "golang.org/x/time/rate's Limiter, one per client"},
		func(v *Values) (Policy, error) {
			b := v.Int("burst")
			if b < 1 {
				b = 1
			}
			return &tokenBucket{lim: rate.NewLimiter(rate.Limit(v.Rate("rate")), b), ra: newRetryAfter(v)}, nil
		})

	Register(Info{Name: "retry-budget", Summary: "retries only while they stay a small share of requests",
		Formula: "retry allowed while retries ≤ ratio·requests + min_per_second·10s over the last 10s; wait as full-jitter, at least Retry-After",
		Params: []Param{{"ratio", "0.1", "retries per request"}, {"min_per_second", "1", "retries always allowed per second"},
			baseParam, capParam},
		PerOperation: retryN, PerClient: "the client's requests and retries over the last 10 s: the budget",
		Source: "Finagle's RetryBudget (com.twitter.finagle.service.RetryBudget), one per client"},
		func(v *Values) (Policy, error) {
			return &budget{ratio: v.Float("ratio"), minPerS: v.Float("min_per_second"),
				base: v.Duration("base"), cap: v.Duration("cap")}, nil
		})
}

type decorrelated struct {
	base, cap, sleep time.Duration
}

// After grows the operation's sleep from its last value. A new operation
// starts from base, so nothing here resets it.
func (d *decorrelated) After(o Outcome, rng *rand.Rand) Decision {
	if !o.Retryable {
		return Decision{Stop: true}
	}
	hi := 3 * d.sleep
	if hi < d.base {
		hi = d.base
	}
	d.sleep = min(d.cap, uniform(rng, d.base, hi))
	return Decision{Wait: d.sleep}
}

type retryAfter struct {
	floor, cap, base time.Duration
	jitter           float64
}

func newRetryAfter(v *Values) retryAfter {
	return retryAfter{floor: v.Duration("floor"), cap: v.Duration("cap"), base: v.Duration("base"), jitter: v.Float("jitter")}
}

func (r retryAfter) after(o Outcome, rng *rand.Rand) Decision {
	if !o.HasRetryAfter || o.RetryAfter <= 0 {
		return Decision{Wait: uniform(rng, 0, Exp(r.base, r.cap, o.Attempt))}
	}
	w := min(max(o.RetryAfter, r.floor), r.cap)
	return Decision{Wait: w + time.Duration(rng.Float64()*r.jitter*float64(w))}
}

type tokenBucket struct {
	lim *rate.Limiter
	ra  retryAfter
}

func (t *tokenBucket) Pace(now time.Time, _ *rand.Rand) (time.Duration, bool) {
	if t.lim.AllowN(now, 1) {
		return 0, false
	}
	need := 1 - t.lim.TokensAt(now)
	return max(time.Duration(need/float64(t.lim.Limit())*1e9), time.Microsecond), false
}

// NewOperation returns retry-after's decision, which keeps no state.
func (t *tokenBucket) NewOperation() Operation { return OperationFunc(t.ra.after) }

// window counts events in one-second slots over the last len(slots) seconds.
type window struct {
	slots []float64
	at    int64 // the second of the newest slot
}

func newWindow(seconds int) window { return window{slots: make([]float64, seconds)} }

func (w *window) advance(now time.Time) {
	s := now.Unix()
	if w.at == 0 {
		w.at = s
	}
	for gap := s - w.at; gap > 0; gap-- {
		w.at++
		w.slots[w.at%int64(len(w.slots))] = 0
		if gap > int64(len(w.slots)) {
			clear(w.slots)
			w.at = s
			break
		}
	}
}

func (w *window) add(now time.Time, n float64) {
	w.advance(now)
	w.slots[w.at%int64(len(w.slots))] += n
}

func (w *window) sum(now time.Time) float64 {
	w.advance(now)
	t := 0.0
	for _, x := range w.slots {
		t += x
	}
	return t
}

type budget struct {
	ratio, minPerS    float64
	base, cap         time.Duration
	requests, retries window
}

func (b *budget) Pace(now time.Time, _ *rand.Rand) (time.Duration, bool) {
	if b.requests.slots == nil {
		b.requests, b.retries = newWindow(10), newWindow(10)
	}
	b.requests.add(now, 1)
	return 0, false
}

// NewOperation returns the budgeted decision; the budget is the client's.
func (b *budget) NewOperation() Operation { return OperationFunc(b.after) }

func (b *budget) after(o Outcome, rng *rand.Rand) Decision {
	if !o.Retryable {
		return Decision{Stop: true}
	}
	if b.requests.slots == nil {
		b.requests, b.retries = newWindow(10), newWindow(10)
	}
	if b.retries.sum(o.Now)+1 > b.ratio*b.requests.sum(o.Now)+b.minPerS*10 {
		return Decision{Stop: true}
	}
	b.retries.add(o.Now, 1)
	w := uniform(rng, 0, Exp(b.base, b.cap, o.Attempt))
	if o.HasRetryAfter && o.RetryAfter > w {
		w = o.RetryAfter
	}
	return Decision{Wait: w}
}
