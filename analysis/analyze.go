// Package analysis turns ratelab's attempt logs (the probe's client view)
// and access logs (the gateway's server view, with the ground truth) into
// metrics, patterns, plain-language findings, reports and CI verdicts.
//
// Logs are streamed: memory grows with the number of operations (one
// latency each; for an access log, one small entry per inferred
// operation, see Inferred), with the records (time-binned counters: at most a few per
// record, never more for records far apart in time; see bins) and, when a
// client log is joined with a gateway log, with one small entry per
// throttled gateway response. Times and durations out of bounds (see
// maxSpan) are refused as bad lines.
package analysis

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/ratelab/ratelab/record"
	"gonum.org/v1/gonum/stat"
)

// Run is the analysis of one log, or of a client log joined with the
// gateway log of the same run.
type Run struct {
	File     string      `json:"file"`
	Kind     record.Kind `json:"kind"`
	Scenario string      `json:"scenario"`
	Strategy string      `json:"strategy,omitempty"`
	Seed     uint64      `json:"seed"`
	Target   string      `json:"target,omitempty"`
	Clock    string      `json:"clock,omitempty"`
	Skipped  int         `json:"skipped_lines,omitempty"`
	// Unfinished reports a log that ends without its closing record (an
	// attempt log's summary, an access log's background count): the run
	// was stopped before it could finish writing, and the figures cover
	// the records written.
	Unfinished bool `json:"unfinished,omitempty"`
	// Joined names the gateway log joined by correlation id, if any.
	Joined string `json:"joined,omitempty"`

	Metrics *Metrics `json:"metrics,omitempty"`
	// Inferred are the operations an access log implies (nil for an
	// attempt log, or an access log with no operation's request).
	Inferred    *Inferred                `json:"inferred,omitempty"`
	RetryAfter  RetryAfterStats          `json:"retry_after"`
	Bursts      BurstStats               `json:"bursts"`
	Waves       WaveStats                `json:"waves"`
	Routes      []RouteStats             `json:"routes"`
	Buckets     []BucketStats            `json:"buckets,omitempty"`
	Clients     []ClientStats            `json:"clients,omitempty"`
	Background  []record.BackgroundCount `json:"background,omitempty"`
	FixedWindow *WindowSignature         `json:"fixed_window,omitempty"`
	LimitSeen   *LimitEstimate           `json:"limit_seen,omitempty"`
	// Timeline counts outcomes in bins of TimelineBin seconds: 1 s for a
	// run of about two minutes, finer for shorter (time-compressed) runs.
	Timeline    []Bin     `json:"timeline"`
	TimelineBin float64   `json:"timeline_bin_s"`
	Latencies   []float64 `json:"-"` // sorted operation latencies, seconds
	Findings    []Finding `json:"findings"`
	story       *story    // what the charts draw (see story.go)
}

// Metrics are the client-side figures; README.md defines each.
type Metrics struct {
	Ops              int      `json:"ops"`
	Succeeded        int      `json:"succeeded"`
	Failed           int      `json:"failed"`
	Attempts         int      `json:"attempts"`
	SuccessRate      float64  `json:"success_rate"`
	AttemptSuccess   float64  `json:"attempt_success"`
	Goodput          float64  `json:"goodput"`
	Amplification    float64  `json:"amplification"`
	Ratio429         float64  `json:"ratio_429"`
	LatencyP50       float64  `json:"latency_p50"`
	LatencyP90       float64  `json:"latency_p90"`
	LatencyP99       float64  `json:"latency_p99"`
	LatencyMax       float64  `json:"latency_max"`
	DrainTime        float64  `json:"drain_time"`
	Elapsed          float64  `json:"elapsed"`
	Efficiency       *float64 `json:"efficiency,omitempty"`
	PrematureRetries int      `json:"premature_retries"`
	ImmediateRetries int      `json:"immediate_retries"`
	LocalDrops       int      `json:"local_drops"`
	// Ended counts the operations by the reason they ended (their
	// records' reason); WaitPastCap is the longest wait a strategy asked
	// for that ended one past the run's time cap, MaxDuration, in seconds.
	Ended       map[string]int `json:"ended,omitempty"`
	WaitPastCap float64        `json:"wait_past_cap,omitempty"`
	MaxDuration float64        `json:"max_duration,omitempty"`
}

// RetryAfterStats describes the hints received (client view) or sent
// (server view) with 429s.
type RetryAfterStats struct {
	Throttled int `json:"throttled"`
	// Histogram counts 429s by Retry-After header value; "none" counts
	// those without one.
	Histogram    map[string]int `json:"histogram"`
	ZeroFraction float64        `json:"zero_fraction"`
	Missing      int            `json:"missing"`
	// With the gateway's truth (access log or a joined one): how the hints
	// compare with the real wait.
	Compared      int     `json:"compared,omitempty"`
	MeanHint      float64 `json:"mean_hint_s,omitempty"`
	MeanTrueWait  float64 `json:"mean_true_wait_s,omitempty"`
	MeanAbsError  float64 `json:"mean_abs_error_s,omitempty"`
	ShortFraction float64 `json:"short_fraction,omitempty"` // hints shorter than the true wait
	// Long counts 429s whose Retry-After was over 3 minutes (a daily
	// quota or a long window); Longest is the longest, in seconds.
	Long    int     `json:"long,omitempty"`
	Longest float64 `json:"longest_s,omitempty"`
}

// BurstStats describes runs of consecutive 429s in send order.
type BurstStats struct {
	Count   int            `json:"count"`
	Longest int            `json:"longest"`
	Mean    float64        `json:"mean"`
	Lengths map[string]int `json:"lengths"` // length -> how many bursts
}

// WaveStats describes synchronised retries: 100 ms bins of retry sends.
type WaveStats struct {
	Bins     int     `json:"bins"`
	MeanPer  float64 `json:"mean_per_bin"`
	Peak     int     `json:"peak"`
	Waves    int     `json:"waves"` // bins far above what independent clients would produce
	PeakTime float64 `json:"peak_time_s,omitempty"`
}

// RouteStats breaks attempts down by route.
type RouteStats struct {
	Route     string `json:"route"`
	Requests  int    `json:"requests"`
	OK        int    `json:"ok"`
	Throttled int    `json:"throttled"`
	Other     int    `json:"other"`
}

// BucketStats says which bucket limited (from an access log).
type BucketStats struct {
	Name string `json:"name"`
	// Spec is the bucket's definition, e.g. "token-bucket 180/min per org".
	Spec       string  `json:"spec,omitempty"`
	Limit      float64 `json:"limit"` // capacity: burst, window count or in-flight count
	Consulted  int     `json:"consulted"`
	Rejected   int     `json:"rejected"` // reported as the refusing bucket
	Refused    int     `json:"refused"`  // refused, reported or not
	Background uint64  `json:"background_admitted,omitempty"`
}

// ClientStats is the server-side view of one client.
type ClientStats struct {
	Client           string  `json:"client"`
	Requests         int     `json:"requests"`
	Throttled        int     `json:"throttled"`
	Retries          int     `json:"retries_after_429"`
	PrematureRetries int     `json:"premature_retries"`
	ImmediateRetries int     `json:"immediate_retries"` // within 50 ms of a 429
	MeanGap          float64 `json:"mean_gap_after_429_s"`
	MeanHint         float64 `json:"mean_hint_s"`
	PeakRate         float64 `json:"peak_rate"` // requests in the busiest second
}

// WindowSignature reports 429 streaks that end at fixed window boundaries.
type WindowSignature struct {
	Window  float64 `json:"window_s"`
	Streaks int     `json:"streaks"`
	Aligned float64 `json:"aligned_fraction"`
}

// LimitEstimate is the rate the client was actually admitted at while it
// was being throttled.
type LimitEstimate struct {
	PerSecond float64 `json:"per_second"`
	PerMinute float64 `json:"per_minute"`
	Seconds   int     `json:"throttled_seconds"`
}

// Bin is one bin of the outcome timeline, starting T seconds into the run.
type Bin struct {
	T         float64 `json:"t"`
	OK        int     `json:"ok"`
	Throttled int     `json:"throttled"`
	Other     int     `json:"other"`
}

// tick is the timeline's finest resolution.
const tick = int64(100 * time.Millisecond)

// Finding is one plain-language conclusion with its numbers.
type Finding struct {
	Severity string `json:"severity"` // high, medium, low, info
	Title    string `json:"title"`
	Detail   string `json:"detail"`
	rank     float64
}

// accumulator gathers one log.
type accumulator struct {
	run    *Run
	header record.Header // an attempt log's; zero for an access log
	specs  map[string]string
	closed bool // the log's closing record arrived

	// client side
	ops      int
	finished int
	okOps    int
	ended    map[string]int // operations by reason
	// waitPastCap is the longest wait_ns of an operation that ended with
	// reason wait-past-cap.
	waitPastCap int64
	okAttempts  int
	attempts    int
	// stepsDone counts, per operation in flight, its attempts that
	// completed a step; needed sums, per finished operation, the fewest
	// requests that take it as far as it got (see amplification).
	stepsDone    map[int]int
	needed       int
	throttled    int
	drops        int
	latencies    []float64
	maxIntended  int64
	maxEnd       int64
	elapsedNS    int64
	lastHint     map[int]hint // op -> last 429's hint and when it arrived
	premature    int
	immediate    int
	retrySends   counts   // 100ms bin -> retry sends
	timeline     tickBins // by 100 ms tick
	routes       map[string]*RouteStats
	raHist       map[string]int
	raLong       int   // 429s whose Retry-After exceeded longHint
	raLongest    int64 // the longest of those, in seconds
	raMissing    int
	raZero       int
	burst        int
	bursts       map[int]int
	okPerSecond  counts
	thrPerSecond counts

	// server side
	buckets   map[string]*BucketStats
	clients   map[string]*clientAcc
	truth     map[string]int64 // correlation id -> true wait (ns), read from a joined access log
	truthMap  map[string]int64 // the same, written while reading an access log
	hints     []float64
	truths    []float64
	streakEnd []int64 // absolute unix ns of first admit after a 429 streak, per client
	inStreak  map[string]bool
	startUnix int64
	bg        []record.BackgroundCount
	infer     *inference // operations inferred from an access log
	story     storyAcc   // bucket levels and admissions by tick, for charts

	// refused is why the last record was refused, or nil (see Refused).
	refused error
}

type hint struct {
	at   int64 // when the 429 arrived
	wait int64
}

type clientAcc struct {
	ClientStats
	pending map[string]hint // path -> the 429 a retry there would follow
	gaps    float64
	hintSum float64
	perSec  map[int64]int
}

func newAccumulator(file string) *accumulator {
	return &accumulator{run: &Run{File: file}, lastHint: map[int]hint{},
		routes: map[string]*RouteStats{}, raHist: map[string]int{}, bursts: map[int]int{},
		buckets: map[string]*BucketStats{}, clients: map[string]*clientAcc{}, inStreak: map[string]bool{}}
}

// Header implements record.Visitor: it opens an attempt log.
func (a *accumulator) Header(h *record.Header) {
	a.header = *h
	r := a.run
	r.Kind, r.Scenario, r.Strategy, r.Seed, r.Target, r.Clock = record.Attempts, h.Scenario, h.Strategy, h.Seed, h.Target, h.Clock
	a.ops = h.Ops
	a.specs = map[string]string{}
	a.start(h.Start)
}

// AccessHeader implements record.Visitor: it opens an access log.
func (a *accumulator) AccessHeader(h *record.AccessHeader) {
	r := a.run
	r.Kind, r.Scenario, r.Seed = record.Access, h.Scenario, h.Seed
	a.infer = newInference()
	a.specs = map[string]string{}
	for _, b := range h.BucketSpecs {
		d := b.Algorithm + " " + b.Limit
		if b.Burst > 0 {
			d += fmt.Sprintf(" burst %d", b.Burst)
		}
		if b.Window != "" {
			d += " window " + b.Window
		}
		a.specs[b.Name] = d + " per " + b.Scope
	}
	a.start(h.Start)
}

// start notes when the log began (RFC 3339), if it parses.
func (a *accumulator) start(start string) {
	if t, err := time.Parse(time.RFC3339Nano, start); err == nil {
		a.startUnix = t.UnixNano()
	}
}

func (a *accumulator) second(t int64) *Bin {
	return a.timeline.at(t / tick)
}

func (a *accumulator) route(name string) *RouteStats {
	r, ok := a.routes[name]
	if !ok {
		r = &RouteStats{Route: name}
		a.routes[name] = r
	}
	return r
}

func (a *accumulator) retryAfter(header string) {
	if header == "" {
		a.raMissing++
		a.raHist["none"]++
		return
	}
	a.raHist[header]++
	if header == "0" {
		a.raZero++
	}
	// Whole seconds only: an HTTP-date needs the response's time, which
	// the histogram does not keep.
	if secs, err := strconv.ParseInt(header, 10, 64); err == nil && secs > longHint {
		a.raLong++
		a.raLongest = max(a.raLongest, secs)
	}
}

// longHint is the longest Retry-After, in seconds, the official SDKs
// still wait out; beyond it a 429 reads as a quota or a long window.
const longHint = 180

// Refused implements record.Refuser: the last record was left out because
// a time or duration in it is out of bounds (see maxSpan).
func (a *accumulator) Refused() error { return a.refused }

// Operation implements record.Visitor.
func (a *accumulator) Operation(o *record.Operation) {
	if a.refused = checkOperation(o); a.refused != nil {
		return
	}
	a.finished++
	if o.OK {
		a.okOps++
	}
	if a.ended == nil {
		a.ended = map[string]int{}
	}
	a.ended[reasonKey(o.Reason)]++
	if o.Reason == record.ReasonWaitPastCap {
		a.waitPastCap = max(a.waitPastCap, o.WaitNS)
	}
	a.needed += a.reached(o)
	if lat := o.EndNS - o.StartNS; lat >= 0 {
		a.latencies = append(a.latencies, float64(lat)/1e9)
	}
	a.maxIntended = max(a.maxIntended, o.StartNS)
	a.maxEnd = max(a.maxEnd, o.EndNS)
	delete(a.lastHint, o.Op)
}

// reached is record.Reached for operation o, from the steps its attempts
// completed.
func (a *accumulator) reached(o *record.Operation) int {
	done := a.stepsDone[o.Op]
	delete(a.stepsDone, o.Op)
	return record.Reached(o.OK, done, a.header.HappyPath)
}

// Final implements record.Visitor.
func (a *accumulator) Final(f *record.Final) {
	a.closed = true
	if a.refused = checkDuration("elapsed_ns", f.Summary.ElapsedNS); a.refused == nil {
		a.elapsedNS = f.Summary.ElapsedNS
	}
	// Operations never run to an end have no record of their own: the
	// summary counts them.
	if n := f.Summary.Ended[record.ReasonNotRun]; n > 0 && n <= maxNotRun {
		if a.ended == nil {
			a.ended = map[string]int{}
		}
		a.ended[record.ReasonNotRun] += n
	}
}

// maxNotRun bounds the not-run count a log may claim.
const maxNotRun = 1 << 30

// Background implements record.Visitor.
func (a *accumulator) Background(b *record.Background) {
	a.closed = true
	if a.refused = checkTime("t", b.T); a.refused == nil {
		a.bg = append(a.bg, b.Counts...)
	}
}

// outcome counts one response (or local drop) at time t, in either view:
// totals, the timeline, its route, the Retry-After histogram and bursts of
// consecutive 429s (in record order, close enough for runs of refusals).
func (a *accumulator) outcome(t int64, route string, status int, retryAfter string, sent bool) {
	a.attempts++
	sec := a.second(t)
	rt := a.route(route)
	if sent {
		rt.Requests++
	}
	switch {
	case status >= 200 && status < 300:
		a.okAttempts++
		sec.OK++
		rt.OK++
		a.okPerSecond.add(t / 1e9)
	case status == 429:
		a.throttled++
		sec.Throttled++
		rt.Throttled++
		a.thrPerSecond.add(t / 1e9)
		a.retryAfter(retryAfter)
	default:
		sec.Other++
		rt.Other++
	}
	if status == 429 {
		a.burst++
	} else if a.burst > 0 {
		a.bursts[a.burst]++
		a.burst = 0
	}
}

// Attempt implements record.Visitor.
func (a *accumulator) Attempt(l *record.Attempt) {
	if a.refused = checkAttempt(l); a.refused != nil {
		return
	}
	if l.LocalDrop {
		a.drops++
	}
	if l.Decision == record.DecisionDone {
		if a.stepsDone == nil {
			a.stepsDone = map[int]int{}
		}
		a.stepsDone[l.Op]++
	}
	a.outcome(l.SentNS, l.Route, l.Status, l.RetryAfter, !l.LocalDrop)
	if l.Attempt > 1 {
		a.retrySends.add(l.SentNS / int64(100*time.Millisecond))
		if h, ok := a.lastHint[l.Op]; ok {
			if l.SentNS < h.at+h.wait {
				a.premature++
			}
			if l.SentNS-h.at < int64(50*time.Millisecond) {
				a.immediate++
			}
		}
	}
	if l.Status == 429 {
		var w int64
		if l.RetryAfterNS != nil {
			w = *l.RetryAfterNS
		}
		a.lastHint[l.Op] = hint{at: l.SentNS + l.LatencyNS, wait: w}
		if a.truth != nil && l.CorrelationID != "" {
			if tw, ok := a.truth[l.CorrelationID]; ok && l.RetryAfterNS != nil {
				a.hints = append(a.hints, float64(*l.RetryAfterNS)/1e9)
				a.truths = append(a.truths, float64(tw)/1e9)
			}
		}
	} else {
		delete(a.lastHint, l.Op)
	}
}

// Request implements record.Visitor.
func (a *accumulator) Request(l *record.Request) {
	if a.refused = checkRequest(l); a.refused != nil {
		return
	}
	a.outcome(l.T, l.Route, l.Status, l.RetryAfter, true)
	a.story.request(l)
	if a.infer != nil {
		a.infer.request(l)
	}
	success := l.Status >= 200 && l.Status < 300
	if l.Status == 429 && l.RejectedBy != "" {
		a.hints = append(a.hints, float64(l.RetryAfterSeconds))
		a.truths = append(a.truths, float64(l.TrueWaitNS)/1e9)
		if a.truthMap != nil && l.CorrelationID != "" {
			a.truthMap[l.CorrelationID] = l.TrueWaitNS
		}
	}
	for _, b := range l.Buckets {
		bs, ok := a.buckets[b.Name]
		if !ok {
			bs = &BucketStats{Name: b.Name, Limit: b.Limit, Spec: a.specs[b.Name]}
			a.buckets[b.Name] = bs
		}
		bs.Consulted++
		if b.Refused {
			bs.Refused++
		}
		if b.Name == l.RejectedBy && l.Status == 429 {
			bs.Rejected++
		}
	}
	if l.Client == "" {
		return
	}
	c, ok := a.clients[l.Client]
	if !ok {
		c = &clientAcc{ClientStats: ClientStats{Client: l.Client}, perSec: map[int64]int{}, pending: map[string]hint{}}
		a.clients[l.Client] = c
	}
	c.Requests++
	c.perSec[l.T/1e9]++
	// A retry is the client's next request to the same path and method
	// after a 429 there; the gap runs from the 429's answer.
	key := l.Method + " " + l.Path
	if h, ok := c.pending[key]; ok && l.T >= h.at {
		gap := l.T - h.at
		c.Retries++
		c.gaps += float64(gap) / 1e9
		if gap < h.wait {
			c.PrematureRetries++
		}
		if gap < int64(50*time.Millisecond) {
			c.ImmediateRetries++
		}
		delete(c.pending, key)
	}
	if l.Status == 429 {
		c.Throttled++
		var ra int64
		if l.RetryAfter != "" {
			ra = l.RetryAfterSeconds
		}
		c.pending[key] = hint{at: l.T + l.LatencyNS, wait: ra * int64(time.Second)}
		c.hintSum += float64(ra)
		a.inStreak[l.Client] = true
	} else if success && a.inStreak[l.Client] {
		a.inStreak[l.Client] = false
		a.streakEnd = append(a.streakEnd, a.startUnix+l.T)
	}
}

// quantile returns the q-quantile of sorted xs (0 when empty).
func quantile(q float64, xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return stat.Quantile(q, stat.Empirical, xs, nil)
}

// finish turns what was gathered into the Run.
func (a *accumulator) finish() *Run {
	r := a.run
	r.Unfinished = r.Kind != "" && !a.closed
	if a.burst > 0 {
		a.bursts[a.burst]++
		a.burst = 0
	}
	if r.Kind == record.Attempts {
		sort.Float64s(a.latencies)
		r.Latencies = a.latencies
		r.Metrics = a.metrics()
	}
	if a.infer != nil {
		r.Inferred = a.infer.finish()
	}
	r.RetryAfter = a.retryAfterStats()
	r.Bursts = burstStats(a.bursts)
	r.Waves = waves(&a.retrySends)
	r.Routes = a.routeStats()
	r.Buckets = a.bucketStats()
	r.Background = a.bg
	r.Clients = a.clientStats()
	r.Timeline, r.TimelineBin = timeline(&a.timeline)
	r.FixedWindow = windowSignature(a.streakEnd)
	r.LimitSeen = limitSeen(&a.okPerSecond, &a.thrPerSecond)
	r.Findings = findings(r)
	r.story = a.newStory()
	return r
}

// metrics computes an attempt log's client-side figures; a.latencies is
// sorted.
func (a *accumulator) metrics() *Metrics {
	m := &Metrics{Ops: a.ops, Succeeded: a.okOps, Failed: a.finished - a.okOps, Attempts: a.attempts,
		PrematureRetries: a.premature, ImmediateRetries: a.immediate, LocalDrops: a.drops,
		Ended: a.ended, WaitPastCap: float64(a.waitPastCap) / 1e9, MaxDuration: float64(a.header.MaxDuration) / 1e9}
	if m.Ops == 0 {
		m.Ops = a.finished
	}
	if m.Ops > 0 {
		m.SuccessRate = float64(m.Succeeded) / float64(m.Ops)
	}
	if a.attempts > 0 {
		m.AttemptSuccess = float64(a.okAttempts) / float64(a.attempts)
		m.Ratio429 = float64(a.throttled) / float64(a.attempts)
	}
	happy := max(a.header.HappyPath, 1)
	if a.needed > 0 {
		m.Amplification = float64(a.attempts) / float64(a.needed)
	}
	elapsed := a.elapsedNS
	if elapsed == 0 {
		elapsed = a.maxEnd
	}
	m.Elapsed = float64(elapsed) / 1e9
	if m.Elapsed > 0 {
		m.Goodput = float64(m.Succeeded) / m.Elapsed
	}
	m.LatencyP50, m.LatencyP90, m.LatencyP99 = quantile(0.5, a.latencies), quantile(0.9, a.latencies), quantile(0.99, a.latencies)
	if n := len(a.latencies); n > 0 {
		m.LatencyMax = a.latencies[n-1]
	}
	m.DrainTime = math.Max(0, float64(a.maxEnd-a.maxIntended)/1e9)
	m.Efficiency = efficiency(m, &a.header, happy)
	return m
}

// efficiency is goodput against the fastest the gateway would let the
// work finish, from the capacity h states; nil when it states none.
func efficiency(m *Metrics, h *record.Header, happy int) *float64 {
	c := h.Capacity
	if !(c > 0 && m.Elapsed > 0 && m.Ops > 0) { // NaN too
		return nil
	}
	// For a token bucket, the requests beyond one full burst at the
	// capacity rate; for a window, as many whole windows as the requests
	// need after the first; and no sooner than the last operation is
	// offered.
	need := float64(m.Ops*happy) - h.CapacityBurst
	ideal := math.Max(need, 0) / c
	if w := h.CapacityWindowNS; w > 0 && h.CapacityBurst > 0 {
		windows := math.Ceil(float64(m.Ops*happy)/h.CapacityBurst) - 1
		ideal = math.Max(windows, 0) * float64(w) / 1e9
	}
	if h.Rate > 0 {
		ideal = math.Max(ideal, float64(m.Ops-1)/h.Rate)
	}
	if !(ideal > 0) {
		return nil
	}
	e := m.Goodput / (float64(m.Ops) / ideal)
	return &e
}

// retryAfterStats describes the hints, compared with the true waits when
// the gateway's truth is known.
func (a *accumulator) retryAfterStats() RetryAfterStats {
	ra := RetryAfterStats{Throttled: a.throttled, Histogram: a.raHist, Missing: a.raMissing, Long: a.raLong, Longest: float64(a.raLongest)}
	if a.throttled > 0 {
		ra.ZeroFraction = float64(a.raZero) / float64(a.throttled)
	}
	if n := len(a.hints); n > 0 {
		ra.Compared = n
		short := 0
		var abs float64
		for i := range a.hints {
			abs += math.Abs(a.hints[i] - a.truths[i])
			if a.hints[i] < a.truths[i] {
				short++
			}
		}
		ra.MeanHint, ra.MeanTrueWait = stat.Mean(a.hints, nil), stat.Mean(a.truths, nil)
		ra.MeanAbsError, ra.ShortFraction = abs/float64(n), float64(short)/float64(n)
	}
	return ra
}

// burstStats describes 429 bursts from their counts by length.
func burstStats(bursts map[int]int) BurstStats {
	bs := BurstStats{Lengths: map[string]int{}}
	total := 0
	for n, c := range bursts {
		bs.Count += c
		total += n * c
		bs.Longest = max(bs.Longest, n)
		bs.Lengths[strconv.Itoa(n)] = c
	}
	if bs.Count > 0 {
		bs.Mean = float64(total) / float64(bs.Count)
	}
	return bs
}

// routeStats lists the routes by name.
func (a *accumulator) routeStats() []RouteStats {
	var out []RouteStats
	for _, rt := range a.routes {
		out = append(out, *rt)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Route < out[j].Route })
	return out
}

// bucketStats lists the buckets by name, with the background load each
// absorbed.
func (a *accumulator) bucketStats() []BucketStats {
	var out []BucketStats
	for _, b := range a.buckets {
		bs := *b
		for _, bg := range a.bg {
			if bg.Bucket == b.Name {
				bs.Background += bg.Admitted
			}
		}
		out = append(out, bs)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// clientStats lists the clients by name, with their means and peaks.
func (a *accumulator) clientStats() []ClientStats {
	var out []ClientStats
	for _, c := range a.clients {
		cs := c.ClientStats
		if cs.Retries > 0 {
			cs.MeanGap = c.gaps / float64(cs.Retries)
		}
		if cs.Throttled > 0 {
			cs.MeanHint = c.hintSum / float64(cs.Throttled)
		}
		for _, n := range c.perSec {
			cs.PeakRate = math.Max(cs.PeakRate, float64(n))
		}
		out = append(out, cs)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Client < out[j].Client })
	return out
}

// timelineWidths are the timeline's bin widths in ticks: 0.1 s, 0.2 s,
// 0.5 s, 1 s, 2 s, 5 s, 10 s, 30 s, 1 min, 2 min, 5 min, 10 min, 1 h; then
// 2 h, 6 h, 12 h, 1 day, 2 days, 1 week, 30 days and 1 year, and beyond
// that decades, so a log of any span gives at most about 120 bins.
var timelineWidths = []int64{1, 2, 5, 10, 20, 50, 100, 300, 600, 1200, 3000, 6000, 36000,
	72000, 216000, 432000, 864000, 1728000, 6048000, 25920000, 315360000}

// timeline merges 100 ms ticks into at most about 120 bins of a round
// width (see timelineWidths).
func timeline(ticks *tickBins) ([]Bin, float64) {
	lo, hi, seen := int64(0), int64(0), false
	ticks.eachUsed(func(t int64, _ *Bin) {
		if !seen {
			lo, seen = t, true
		}
		hi = t
	})
	if !seen {
		return nil, 1
	}
	width := int64(1)
	for _, w := range timelineWidths {
		width = w
		if (hi-lo)/w < 120 {
			break
		}
	}
	for (hi-lo)/width >= 120 {
		width *= 10
	}
	first, last := floorDiv(lo, width), floorDiv(hi, width)
	out := make([]Bin, last-first+1)
	for i := range out {
		out[i].T = float64((first+int64(i))*width) / 10
	}
	ticks.eachUsed(func(t int64, b *Bin) {
		o := &out[floorDiv(t, width)-first]
		o.OK += b.OK
		o.Throttled += b.Throttled
		o.Other += b.Other
	})
	return out, float64(width) / 10
}

// waves finds 100 ms bins of retry sends far above a Poisson expectation:
// more than mean + 5·sqrt(mean) and at least three times the mean.
func waves(bins *counts) WaveStats {
	var w WaveStats
	lo, hi, total, seen := int64(0), int64(0), 0, false
	bins.eachNonZero(func(b int64, n int) {
		if !seen {
			lo, seen = b, true
		}
		hi = b
		total += n
	})
	if !seen {
		return w
	}
	w.Bins = int(hi - lo + 1)
	w.MeanPer = float64(total) / float64(w.Bins)
	threshold := math.Max(w.MeanPer+5*math.Sqrt(w.MeanPer), 3*w.MeanPer)
	peakBin := int64(0)
	bins.eachNonZero(func(b int64, n int) {
		// In bin order, so ties go to the earliest bin.
		if n > w.Peak {
			w.Peak, peakBin = n, b
		}
		if float64(n) > threshold && n >= 5 {
			w.Waves++
		}
	})
	w.PeakTime = float64(peakBin) / 10
	return w
}

// windowSignature tests common window lengths: a fixed window shows as
// 429 streaks that end within 2% of a window boundary.
func windowSignature(ends []int64) *WindowSignature {
	if len(ends) < 5 {
		return nil
	}
	var best *WindowSignature
	for _, w := range []time.Duration{time.Second, 10 * time.Second, time.Minute} {
		tol := int64(w) / 50
		aligned := 0
		for _, e := range ends {
			if e%int64(w) <= tol {
				aligned++
			}
		}
		f := float64(aligned) / float64(len(ends))
		// By chance 2% of ends would align; demand most of them.
		if f >= 0.6 && (best == nil || w.Seconds() > best.Window) {
			best = &WindowSignature{Window: w.Seconds(), Streaks: len(ends), Aligned: f}
		}
	}
	return best
}

// limitSeen estimates the admitted rate during seconds that saw 429s,
// taking the seconds in order.
func limitSeen(ok, thr *counts) *LimitEstimate {
	var admitted []float64
	thr.eachNonZero(func(s int64, _ int) { admitted = append(admitted, float64(ok.get(s))) })
	if len(admitted) < 3 {
		return nil
	}
	m := stat.Mean(admitted, nil)
	return &LimitEstimate{PerSecond: m, PerMinute: m * 60, Seconds: len(admitted)}
}
