package strategy

import (
	"math"
	"math/rand/v2"
	"time"
)

// registerSDKsAndThrottles registers the AWS SDKs' retry modes and the
// SRE book's client-side throttling.
func registerSDKsAndThrottles() {
	awsParams := []Param{{"max_attempts", "3", "attempts per operation"}, {"base", "1s", "backoff base"},
		{"cap", "20s", "longest backoff"}, {"quota", "500", "initial retry quota"}}
	awsOp := "the attempt count against max_attempts, and the retry token it holds (the cost of its last retry), " +
		"refunded to the quota when an attempt after it succeeds"
	awsQuota := "the retry quota (5 a retry, 10 after a transport error; +1 for a success without retry)"
	Register(Info{Name: "aws-standard", Summary: "the AWS SDKs' standard retry mode",
		Formula: "wait = U(0,1)·min(cap, base·2^n); each retry costs 5 from a 500 quota (10 for transport errors), success refunds",
		Params:  awsParams, PerOperation: awsOp, PerClient: awsQuota,
		Source: `AWS SDKs' "standard" retry mode (AWS SDKs and Tools Reference Guide, "Retry behavior"; aws-sdk-go-v2 aws/retry), the quota per client`},
		func(v *Values) (Policy, error) { return newAWS(v, false), nil })
	Register(Info{Name: "aws-adaptive", Summary: "AWS standard plus the CUBIC client-side rate limiter",
		Formula: "standard retries; sends paced by a token bucket whose rate falls to 0.7× on throttling and regrows as CUBIC",
		Params:  awsParams, PerOperation: awsOp,
		PerClient: awsQuota + "; the CUBIC rate limiter, which learns from every response of the client",
		Source:    `AWS SDKs' "adaptive" retry mode (aws-sdk-go-v2 aws/retry AdaptiveMode), quota and limiter per client`},
		func(v *Values) (Policy, error) { return newAWS(v, true), nil })

	Register(Info{Name: "sre-throttle", Summary: "Google SRE adaptive throttling: reject locally when the backend refuses",
		Formula:      "drop locally with p = max(0, (requests − K·accepts)/(requests + 1)) over 2 min; retries as full-jitter",
		Params:       []Param{{"k", "2", "multiplier K"}, baseParam, capParam},
		PerOperation: retryN, PerClient: "the client's requests and accepts over the last 2 minutes, learned from every response",
		Source: `Site Reliability Engineering (Google, 2016), ch. 21 "Handling Overload": client-side throttling, history per client`},
		func(v *Values) (Policy, error) {
			return &sre{k: v.Float("k"), base: v.Duration("base"), cap: v.Duration("cap")}, nil
		})
}

// registerAdaptive registers ratelab's own strategy.
func registerAdaptive() {
	Register(Info{Name: "adaptive", Summary: "ratelab's own: learns the sustainable rate from 429s, Retry-After and successes, paces below it",
		Formula: "pace at r; on a 429 remember r as r_max, cut to r·decrease (floor: 95% of the last minute's admitted rate) and pause max(Retry-After if ≥ 1s, 2^(k−1)/r) after k 429s in a row; without 429s r climbs back to r_max along a cubic, reaching it after recover, then grows by increase·r per second",
		Params: []Param{{"decrease", "0.75", "rate multiplier on a 429"}, {"recover", "4s", "time to climb back to the rate of the last 429"},
			{"increase", "0.02", "fractional rate growth per second beyond that rate"},
			{"accel", "0.4", "cubic growth beyond that rate: the fraction of it added 10 s past"},
			{"min_rate", "0.2/s", "slowest pace"}, {"cap", "60s", "longest wait honoured"},
			{"probe_max", "5s", "longest pause between probes when the wait is unknown"}},
		PerOperation: retryN + ", for the short backoff after a conflict or server error",
		PerClient:    "the pacer: its rate, the rate of the last cut, the pause, the 429 streak and the windows of admitted sends, learned from every response",
		Source:       "ratelab's own, after TCP CUBIC (RFC 9438) and AWS's adaptive limiter"},
		func(v *Values) (Policy, error) {
			return &adaptive{decrease: v.Float("decrease"), recover: v.Duration("recover"), increase: v.Float("increase"), accel: v.Float("accel"),
				minRate: v.Rate("min_rate"), cap: v.Duration("cap"), probeMax: v.Duration("probe_max")}, nil
		})
}

// aws implements the AWS SDKs' standard and adaptive retry modes.
type aws struct {
	maxAttempts int
	base, cap   time.Duration
	quota, max  float64
	adaptive    bool

	// adaptive client rate limiter (CUBIC)
	enabled        bool
	fillRate       float64
	capacity       float64
	maxCapacity    float64
	lastRefill     time.Time
	measured       float64
	lastTxBucket   float64
	requestCount   float64
	lastMaxRate    float64
	lastThrottle   float64
	timeWindow     float64
	calculatedRate float64
}

const (
	awsRetryCost    = 5
	awsTimeoutCost  = 10
	awsNoRetryBonus = 1
	cubicBeta       = 0.7
	cubicScale      = 0.4
	smooth          = 0.8
	minFillRate     = 0.5
)

func newAWS(v *Values, adaptive bool) *aws {
	q := v.Float("quota")
	return &aws{maxAttempts: v.Int("max_attempts"), base: v.Duration("base"), cap: v.Duration("cap"),
		quota: q, max: q, adaptive: adaptive, lastMaxRate: 0}
}

func secs(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func (a *aws) refill(now time.Time) {
	if !a.lastRefill.IsZero() {
		a.capacity = math.Min(a.maxCapacity, a.capacity+now.Sub(a.lastRefill).Seconds()*a.fillRate)
	}
	a.lastRefill = now
}

func (a *aws) Pace(now time.Time, _ *rand.Rand) (time.Duration, bool) {
	if !a.adaptive || !a.enabled {
		return 0, false
	}
	a.refill(now)
	if a.capacity >= 1 {
		a.capacity--
		return 0, false
	}
	return max(time.Duration((1-a.capacity)/a.fillRate*1e9), time.Microsecond), false
}

func (a *aws) updateRate(now time.Time, throttled bool) {
	t := secs(now)
	bucket := math.Floor(t*2) / 2
	a.requestCount++
	if a.lastTxBucket == 0 {
		a.lastTxBucket = bucket
	}
	if bucket > a.lastTxBucket {
		cur := a.requestCount / (bucket - a.lastTxBucket)
		a.measured = cur*smooth + a.measured*(1-smooth)
		a.requestCount = 0
		a.lastTxBucket = bucket
	}
	var rate float64
	if throttled {
		r := a.measured
		if a.enabled {
			r = math.Min(a.measured, a.fillRate)
		}
		a.lastMaxRate = r
		a.timeWindow = math.Cbrt(a.lastMaxRate * (1 - cubicBeta) / cubicScale)
		a.lastThrottle = t
		rate = r * cubicBeta
		if !a.enabled {
			a.enabled = true
			a.lastRefill = now
		}
	} else {
		a.timeWindow = math.Cbrt(a.lastMaxRate * (1 - cubicBeta) / cubicScale)
		rate = cubicScale*math.Pow(t-a.lastThrottle-a.timeWindow, 3) + a.lastMaxRate
	}
	a.calculatedRate = math.Min(rate, 2*a.measured)
	a.refill(now)
	a.fillRate = math.Max(a.calculatedRate, minFillRate)
	a.maxCapacity = math.Max(a.calculatedRate, 1)
	a.capacity = math.Min(a.capacity, a.maxCapacity)
}

// Observe lets the adaptive mode's rate limiter learn from every response
// of the client.
func (a *aws) Observe(o Outcome) {
	if a.adaptive {
		a.updateRate(o.Now, o.Throttled)
	}
}

// NewOperation starts a request's attempt count and retry token.
func (a *aws) NewOperation() Operation { return &awsOp{a: a} }

// awsOp is one request's state in the AWS retry modes: the retry token it
// holds (what its last retry cost the quota), refunded when an attempt
// after that retry succeeds.
type awsOp struct {
	a    *aws
	paid float64
}

func (op *awsOp) After(o Outcome, rng *rand.Rand) Decision {
	a := op.a
	if !o.Retryable {
		if o.Status >= 200 && o.Status < 300 {
			refund := float64(awsNoRetryBonus)
			if op.paid > 0 {
				refund = op.paid
			}
			a.quota = math.Min(a.max, a.quota+refund)
			op.paid = 0
		}
		return Decision{Stop: true}
	}
	if o.Attempt >= a.maxAttempts {
		return Decision{Stop: true}
	}
	cost := float64(awsRetryCost)
	if o.Status == 0 {
		cost = awsTimeoutCost
	}
	if a.quota < cost {
		return Decision{Stop: true}
	}
	a.quota -= cost
	op.paid = cost
	return Decision{Wait: time.Duration(rng.Float64() * float64(Exp(a.base, a.cap, o.Attempt-1)))}
}

// sre is client-side adaptive throttling from Google's SRE book.
type sre struct {
	k                 float64
	base, cap         time.Duration
	requests, accepts window
}

func (s *sre) init() {
	if s.requests.slots == nil {
		s.requests, s.accepts = newWindow(120), newWindow(120)
	}
}

func (s *sre) Pace(now time.Time, rng *rand.Rand) (time.Duration, bool) {
	s.init()
	req, acc := s.requests.sum(now), s.accepts.sum(now)
	s.requests.add(now, 1)
	p := math.Max(0, (req-s.k*acc)/(req+1))
	return 0, rng.Float64() < p
}

// Observe counts the client's accepted requests.
func (s *sre) Observe(o Outcome) {
	s.init()
	if o.Status != 0 && !o.Throttled {
		s.accepts.add(o.Now, 1)
	}
}

// NewOperation returns the backoff, which keeps only the retry number.
func (s *sre) NewOperation() Operation { return OperationFunc(s.after) }

func (s *sre) after(o Outcome, rng *rand.Rand) Decision {
	if !o.Retryable {
		return Decision{Stop: true}
	}
	w := uniform(rng, 0, Exp(s.base, s.cap, o.Attempt))
	if o.HasRetryAfter && o.RetryAfter > w {
		w = o.RetryAfter
	}
	return Decision{Wait: w}
}

// adaptive is ratelab's own strategy. It paces every send of the client to
// one rate r learned from what the gateway admits:
//
//   - unpaced until the first 429; then r = the rate admitted so far (over
//     at most the last 10 s) × decrease;
//
//   - each later 429 cuts r by decrease (at most once per pace interval),
//     but never below 95% of the rate admitted over the last minute, so a
//     window that refills in bulk is not mistaken for a slow one;
//
//   - without 429s, r climbs back towards r_max, the rate it had when the
//     last 429 came, along a cubic (as TCP CUBIC does): fast at first,
//     flat near r_max, which it reaches after recover; beyond r_max it
//     grows by increase·r per second, probing for freed capacity;
//
//   - after a 429 the whole client pauses: for Retry-After when it says a
//     second or more, and in any case for at least min(1/r·2^(k−1),
//     probe_max) after k 429s in a row — a 0 or missing hint is treated
//     as unknown, not as "now", and a hint that keeps being wrong stops
//     being trusted;
//
//   - when two 429 streaks in a row ended just after a round boundary of
//     the same length (a fixed window resetting), a new streak sleeps to
//     the next such boundary.
//
// Sends waiting on the pace re-ask when their wait is over, so only one
// probe goes out per pause and an exhausted window costs one attempt per
// pause instead of one per queued operation.
type adaptive struct {
	decrease, increase, minRate, accel float64
	recover, cap, probeMax             time.Duration

	r         float64       // sends per second; 0 means unpaced
	rMax      float64       // r when the last cut came
	k         time.Duration // the climb back to rMax takes k
	sent      window        // responses over the last 3 s: the real send rate
	next      time.Time
	paused    time.Time
	lastCut   time.Time
	streak    int // 429s since the last success
	firstSeen time.Time
	successes window
	longRun   window
	// Fixed-window learning: a 429 streak that ends just after a round
	// boundary (10 s, 1 min, 1 h since the epoch, where fixed windows
	// reset), twice in a row for the same length, makes that the period.
	streakStart, lastRefused time.Time
	candidate, period        time.Duration
	confirmed                int
}

// fixedWindows are the window lengths adaptive recognises, longest first.
var fixedWindows = []time.Duration{time.Hour, time.Minute, 10 * time.Second}

// learnPeriod looks at a streak that ended at now.
func (a *adaptive) learnPeriod(now time.Time) {
	var w time.Duration
	for _, c := range fixedWindows {
		if now.UnixNano()/int64(c) > a.lastRefused.UnixNano()/int64(c) && now.Sub(a.streakStart) < c {
			w = c
			break
		}
	}
	switch {
	case w == 0:
		a.candidate, a.confirmed, a.period = 0, 0, 0
	case w == a.candidate:
		a.confirmed++
	default:
		a.candidate, a.confirmed = w, 1
	}
	if a.confirmed >= 2 {
		a.period = a.candidate
	}
}

func (a *adaptive) Pace(now time.Time, _ *rand.Rand) (time.Duration, bool) {
	if a.paused.After(now) {
		return a.paused.Sub(now), false
	}
	if a.r > 0 {
		if a.next.After(now) {
			return a.next.Sub(now), false
		}
		a.next = now.Add(time.Duration(1e9 / a.r))
	}
	return 0, false
}

// steadyBand is how close two 429s' rates must be for the limit to count
// as steady.
const steadyBand = 0.02

// cubic is the rate the climb back from the last cut has reached at now:
// r_max − C·(K − t)³ until K = recover, with C chosen so that it starts
// from r_max·decrease, then r_max·(1 + increase)^(t − K).
func (a *adaptive) cubic(now time.Time) float64 {
	k, t := max(a.k, a.recover).Seconds(), now.Sub(a.lastCut).Seconds()
	if t >= k {
		u := t - k
		return a.rMax * (math.Pow(1+a.increase, u) + a.accel*u*u*u/1000)
	}
	c := a.rMax * (1 - a.decrease) / (k * k * k)
	return a.rMax - c*(k-t)*(k-t)*(k-t)
}

// NewOperation returns the short backoff for conflicts and server errors;
// throttling is handled by the client's pause and pace.
func (a *adaptive) NewOperation() Operation { return OperationFunc(a.after) }

func (a *adaptive) after(o Outcome, rng *rand.Rand) Decision {
	if !o.Retryable {
		return Decision{Stop: true}
	}
	if !o.Throttled {
		// Server errors and conflicts: a short jittered backoff.
		return Decision{Wait: uniform(rng, 0, Exp(50*time.Millisecond, a.cap, o.Attempt))}
	}
	return Decision{}
}

// Observe learns the client's sustainable rate from every response.
func (a *adaptive) Observe(o Outcome) {
	if a.successes.slots == nil {
		a.successes, a.longRun, a.sent = newWindow(10), newWindow(60), newWindow(3)
	}
	if o.Status != 0 {
		a.sent.add(o.Now, 1)
	}
	if a.firstSeen.IsZero() {
		a.firstSeen = o.Now
	}
	if o.Status >= 200 && o.Status < 300 {
		a.successes.add(o.Now, 1)
		a.longRun.add(o.Now, 1)
		if a.streak > 0 {
			a.learnPeriod(o.Now)
		}
		a.streak = 0
		if a.r > 0 {
			a.r = math.Max(a.r, a.cubic(o.Now))
		}
	}
	if o.Throttled {
		if a.streak == 0 {
			a.streakStart = o.Now
		}
		a.lastRefused = o.Now
		a.streak++
		switch {
		case a.r == 0:
			// The admitted rate over what has been seen, up to 10 s.
			span := min(10, max(1, o.Now.Sub(a.firstSeen).Seconds()))
			admitted := a.successes.sum(o.Now) / span
			a.r, a.rMax = 1, 1
			if admitted > 0 {
				a.rMax = admitted * a.decrease
				a.r = math.Max(a.minRate, admitted*a.decrease)
			}
			a.lastCut = o.Now
		case o.Now.Sub(a.lastCut) >= time.Duration(1e9/a.r):
			floor := 0.95 * a.longRun.sum(o.Now) / 60
			// The rate the 429 came at: the pace, unless sends really
			// went out at well under it (fewer were waiting, or a long
			// pause let the climb run ahead).
			at := a.r
			if m := 2 * a.sent.sum(o.Now) / 3; m > 0 {
				at = math.Min(at, m)
			}
			// A 429 at about the rate of the last one: the limit is
			// steady, so take longer to climb back to it next time.
			if a.k <= 0 || math.Abs(at-a.rMax) > steadyBand*a.rMax {
				a.k = a.recover
			} else {
				a.k = min(2*a.k, 8*a.recover)
			}
			a.rMax = at
			a.r = math.Max(a.minRate, math.Max(at*a.decrease, floor))
			a.lastCut = o.Now
		}
		// Unknown wait: probe at doubling intervals, but no more than
		// probe_max apart, so a window that reset is found soon after.
		pause := min(time.Duration(float64(time.Second)/a.r*math.Pow(2, float64(min(a.streak, 20)-1))), a.probeMax)
		if p := a.period; p > 0 {
			// A fixed window: sleep to its next reset instead of probing an
			// exhausted window again and again.
			next := (o.Now.UnixNano()/int64(p) + 1) * int64(p)
			pause = time.Duration(next-o.Now.UnixNano()) + 10*time.Millisecond
		}
		if o.HasRetryAfter && o.RetryAfter >= time.Second {
			pause = max(pause, o.RetryAfter)
		}
		if p := o.Now.Add(min(pause, a.cap)); p.After(a.paused) {
			a.paused = p
		}
	}
}
