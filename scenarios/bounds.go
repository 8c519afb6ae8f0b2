package scenarios

import (
	"math"
	"strconv"
	"time"

	"github.com/ratelab/ratelab/mockgateway/limit"
)

// The bounds Validate puts on numbers. Each keeps an absurd value from
// failing a later stage, or from exhausting its memory or time, after
// `ratelab scenarios validate` has accepted the file.
const (
	// maxUsers is the most users gateway.users.count may ask for: the
	// gateway builds every user up front, about 600 bytes each, so 60 MB.
	maxUsers = 100_000
	// minTimeScale and maxTimeScale bound time_scale: every duration is
	// divided by it, so 1e6 keeps a 1ms window at 1ns at least, and 1e-3
	// keeps a 30-day window within a time.Duration.
	minTimeScale, maxTimeScale = 1e-3, 1e6
	// maxRatePerSecond is the fastest rate a file may write, and the
	// fastest any background or workload rate may be once time_scale has
	// compressed it: limit.MaxRate.
	maxRatePerSecond = limit.MaxRate
	// maxPeriod is the longest window, rate period or duration: 30 days.
	maxPeriod = 30 * 24 * time.Hour
	// minPeriod is the shortest window or rate period: 1ms, which
	// time_scale compresses to 1ns at most.
	minPeriod = time.Millisecond
	// maxLatency bounds latency parameters: a gateway slower than an hour
	// is down, and a longer latency only stalls the run.
	maxLatency = time.Hour
	// maxCount bounds burst, cost, a concurrency limit and max_live.
	maxCount = 1_000_000
	// maxOps bounds workload.ops: the probe builds the whole work list
	// before it starts.
	maxOps = 1_000_000
	// maxConcurrency bounds workload.concurrency: one goroutine each.
	maxConcurrency = 10_000
	// maxAttempts bounds workload.max_attempts, and maxRequests
	// workload.max_requests: ops × max_attempts must fit the request cap.
	maxAttempts, maxRequests = 1_000, 1_000_000_000
	// maxRequestBytes bounds gateway.request_bytes_max: the gateway reads
	// a body up to it into memory.
	maxRequestBytes = 64 << 20
	// maxWeight bounds a mix choice's weight p, so the weights' sum stays
	// finite.
	maxWeight = 1e6
	// maxDocumented bounds a bucket's documented value: the limits API
	// writes it as a JSON number, exact as an integer up to 2^53.
	maxDocumented = 1e12
	// day is the period of a daily-quota limit.
	day = 24 * time.Hour
)

// inRange reports whether lo <= x <= hi.
func inRange[T int | float64 | time.Duration | Duration](x, lo, hi T) bool { return x >= lo && x <= hi }

// atMost checks a whole number against its bound; why says what the
// bound protects.
func (v *validator) atMost(path string, x, hi int, why string) {
	if x > hi {
		v.fail(path, "%d is above %d (%s)", x, hi, why)
	}
}

// duration checks a duration that may be 0 (unset) against hi.
func (v *validator) duration(path string, d Duration, hi time.Duration) {
	if d.D() > hi {
		v.fail(path, "%v is longer than %v, the most ratelab models", d, hi)
	}
}

// window checks a window or rate period: 0 (unset) or within
// [minPeriod, maxPeriod].
func (v *validator) window(path string, d time.Duration) {
	if d != 0 && !inRange(d, minPeriod, maxPeriod) {
		v.fail(path, "%v must be between %v and %v (30 days)", d, minPeriod, maxPeriod)
	}
}

// rate checks a written rate: its period within [minPeriod, maxPeriod]
// and at most maxRatePerSecond. When scaled, the rate after time_scale
// must be at most maxRatePerSecond too.
func (v *validator) rate(path string, r limit.Rate, scaled bool) {
	if !inRange(r.Per, minPeriod, maxPeriod) {
		v.fail(path, "rate %v: its period must be between %v and %v (30 days)", r, minPeriod, maxPeriod)
		return
	}
	perS := r.PerSecond()
	switch {
	case perS > maxRatePerSecond:
		v.fail(path, "rate %v is faster than %s/s, the most ratelab models", r, num(maxRatePerSecond))
	case scaled && perS*v.s.TimeScale > maxRatePerSecond:
		v.fail(path, "rate %v is %s/s at time_scale %v, faster than %s/s, the most ratelab models", r, num(perS*v.s.TimeScale), v.s.TimeScale, num(maxRatePerSecond))
	}
}

// timeScale checks time_scale.
func (v *validator) timeScale() {
	if ts := v.s.TimeScale; !inRange(ts, minTimeScale, maxTimeScale) {
		v.fail("time_scale", "%v must be between %s and %s", ts, num(minTimeScale), num(maxTimeScale))
	}
}

// slidingCapacity checks that sliding-window bucket i holds between 1 and
// limit.MaxSlidingCapacity requests per window at every tier's rate,
// computed the way the model does, from the time-compressed values.
func (v *validator) slidingCapacity(i int, p string) {
	b := &v.s.Gateway.Buckets[i]
	if !v.isAlgorithm(i, limit.SlidingWindow) || b.Limit == nil {
		return
	}
	rates := []limit.Rate{b.Limit.Rate}
	if b.Limit.FromTier {
		rates = rates[:0]
		for _, tn := range v.s.TierNames() {
			if r, ok := v.s.Gateway.Tiers[tn][b.Name]; ok {
				rates = append(rates, r.Rate)
			}
		}
	}
	for _, r := range rates {
		written := b.Window.D()
		if written == 0 {
			written = r.Per
		}
		r = r.Scale(v.s.TimeScale)
		w := v.s.scale(b.Window)
		if w == 0 {
			w = r.Per
		}
		n := math.Round(r.PerSecond()*w.Seconds()*1e6) / 1e6
		if r.Per > 0 && w > 0 && !inRange(n, 1, limit.MaxSlidingCapacity) {
			v.fail(p+".limit", "%v over a %v window holds %s requests; a sliding window must hold between 1 and %d", r, written, num(n), limit.MaxSlidingCapacity)
		}
	}
}

// num formats x without an exponent: 2000000, not 2e+06.
func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// latencyBounds checks a latency's parameters against maxLatency.
func (v *validator) latencyBounds(p string, l *Latency) {
	v.duration(p+".value", l.Value, maxLatency)
	v.duration(p+".min", l.Min, maxLatency)
	v.duration(p+".max", l.Max, maxLatency)
	v.duration(p+".mean", l.Mean, maxLatency)
	v.duration(p+".stddev", l.Stddev, maxLatency)
}
