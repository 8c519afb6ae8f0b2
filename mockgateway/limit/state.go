package limit

import (
	"math"
	"time"

	"golang.org/x/time/rate"
)

// state is one bucket's counter for one scope value. peek never mutates;
// take charges cost and must only follow a peek at the same time that
// admitted it. Callers hold the model's lock.
type state interface {
	// peek reports the capacity left at now, the wait until cost would be
	// admitted (0 when it is now, Never when it never will be) and whether
	// it is admitted now.
	peek(now time.Time, cost int) (remaining float64, wait time.Duration, ok bool)
	take(now time.Time, cost int)
	release(cost int)
	capacity() float64
	// takeUpTo charges as many of n units as are admitted at now, at
	// once, and returns how many.
	takeUpTo(now time.Time, n uint64) uint64
	// refill is the rate at which capacity comes back, per second.
	refill() float64
}

// tokenBucket wraps x/time/rate, always through its explicit-time methods.
type tokenBucket struct {
	lim   *rate.Limiter
	perS  float64
	burst int
}

func newTokenBucket(perSecond float64, burst int) *tokenBucket {
	return &tokenBucket{lim: rate.NewLimiter(rate.Limit(perSecond), burst), perS: perSecond, burst: burst}
}

func (b *tokenBucket) peek(now time.Time, cost int) (float64, time.Duration, bool) {
	tok := b.lim.TokensAt(now)
	if tok >= float64(cost) {
		return tok, 0, true
	}
	if cost > b.burst || b.perS <= 0 {
		return tok, Never, false
	}
	// Round up to the nanosecond, then step until the limiter agrees: the
	// wait must be one at which a re-sent request is really admitted.
	need := float64(cost) - tok
	ns := math.Ceil(need / b.perS * 1e9)
	if ns >= float64(Never/2) {
		return tok, Never, false // beyond what a time.Duration holds
	}
	wait := time.Duration(ns)
	for i := 0; i < 64 && b.lim.TokensAt(now.Add(wait)) < float64(cost); i++ {
		wait += 1 + wait/1e9
	}
	return tok, wait, false
}

func (b *tokenBucket) take(now time.Time, cost int) { b.lim.AllowN(now, cost) }
func (b *tokenBucket) release(int)                  {}
func (b *tokenBucket) capacity() float64            { return float64(b.burst) }
func (b *tokenBucket) refill() float64              { return b.perS }

func (b *tokenBucket) takeUpTo(now time.Time, n uint64) uint64 {
	n = min(n, uint64(max(b.lim.TokensAt(now), 0)))
	if n > 0 {
		b.lim.AllowN(now, int(n))
	}
	return n
}

// floorDiv rounds a/b toward negative infinity, for window alignment.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// fixedWindow counts requests in windows aligned to multiples of window
// since the Unix epoch, shifted by offset (0 but for a daily quota), so
// every key's windows reset at the same instants.
type fixedWindow struct {
	limit  float64
	window int64
	offset int64 // in [0, window)
	start  int64
	count  float64
}

// windowStart returns the start of the window holding t (Unix
// nanoseconds), for windows of length window starting at offset past each
// multiple of window.
func windowStart(t, window, offset int64) int64 {
	return floorDiv(t-offset, window)*window + offset
}

func (w *fixedWindow) current(now time.Time) (start int64, count float64) {
	ws := windowStart(now.UnixNano(), w.window, w.offset)
	if ws != w.start {
		return ws, 0
	}
	return ws, w.count
}

func (w *fixedWindow) peek(now time.Time, cost int) (float64, time.Duration, bool) {
	ws, n := w.current(now)
	rem := w.limit - n
	if n+float64(cost) <= w.limit {
		return rem, 0, true
	}
	if float64(cost) > w.limit {
		return rem, Never, false
	}
	return rem, time.Duration(ws + w.window - now.UnixNano()), false
}

func (w *fixedWindow) take(now time.Time, cost int) {
	w.start, w.count = w.current(now)
	w.count += float64(cost)
}
func (w *fixedWindow) release(int)       {}
func (w *fixedWindow) capacity() float64 { return w.limit }
func (w *fixedWindow) refill() float64   { return w.limit / time.Duration(w.window).Seconds() }

func (w *fixedWindow) takeUpTo(now time.Time, n uint64) uint64 {
	_, count := w.current(now)
	n = min(n, uint64(max(w.limit-count, 0)))
	if n > 0 {
		w.take(now, int(n))
	}
	return n
}

// slidingWindow is a sliding log: it remembers the time of each admitted
// unit of cost and admits while fewer than limit fall in (now-window, now].
// It is exact (any window-long interval holds at most limit), so its true
// wait is exact too. Memory is one int64 per unit of capacity.
type slidingWindow struct {
	limit  int
	window int64
	log    []int64 // ring buffer of admission times, oldest at head
	head   int
	n      int
}

func newSlidingWindow(limit float64, window time.Duration) *slidingWindow {
	l := max(1, int(limit))
	return &slidingWindow{limit: l, window: int64(window), log: make([]int64, l)}
}

// live returns how many logged admissions still count at t.
func (w *slidingWindow) live(t int64) int {
	expired := 0
	for expired < w.n && w.log[(w.head+expired)%w.limit] <= t-w.window {
		expired++
	}
	return w.n - expired
}

func (w *slidingWindow) peek(now time.Time, cost int) (float64, time.Duration, bool) {
	t := now.UnixNano()
	live := w.live(t)
	rem := float64(w.limit - live)
	if live+cost <= w.limit {
		return rem, 0, true
	}
	if cost > w.limit {
		return rem, Never, false
	}
	// The k-th oldest live admission must leave the window first.
	k := live + cost - w.limit
	oldest := (w.head + (w.n - live) + k - 1) % w.limit
	return rem, time.Duration(w.log[oldest] + w.window - t), false
}

func (w *slidingWindow) take(now time.Time, cost int) {
	t := now.UnixNano()
	live := w.live(t)
	w.head = (w.head + w.n - live) % w.limit
	w.n = live
	for i := 0; i < cost; i++ {
		w.log[(w.head+w.n)%w.limit] = t
		w.n++
	}
}
func (w *slidingWindow) release(int)       {}
func (w *slidingWindow) capacity() float64 { return float64(w.limit) }
func (w *slidingWindow) refill() float64   { return float64(w.limit) / time.Duration(w.window).Seconds() }

func (w *slidingWindow) takeUpTo(now time.Time, n uint64) uint64 {
	n = min(n, uint64(w.limit-w.live(now.UnixNano())))
	if n > 0 {
		w.take(now, int(n))
	}
	return n
}

// inflight limits requests in flight. Its wait is unknown to the model (it
// depends on when other requests finish), so it reports 0.
type inflight struct {
	limit float64
	n     float64
}

func (c *inflight) peek(_ time.Time, cost int) (float64, time.Duration, bool) {
	rem := c.limit - c.n
	if c.n+float64(cost) <= c.limit {
		return rem, 0, true
	}
	if float64(cost) > c.limit {
		return rem, Never, false
	}
	return rem, 0, false
}

func (c *inflight) take(_ time.Time, cost int) { c.n += float64(cost) }
func (c *inflight) release(cost int) {
	c.n -= float64(cost)
	if c.n < 0 {
		c.n = 0
	}
}
func (c *inflight) capacity() float64 { return c.limit }

// refill and takeUpTo serve background load, which a concurrency bucket
// never has.
func (c *inflight) refill() float64                   { return 0 }
func (c *inflight) takeUpTo(time.Time, uint64) uint64 { return 0 }
