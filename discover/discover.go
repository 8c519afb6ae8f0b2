// Package discover learns an API's effective rate limits by probing it
// carefully: per endpoint, the limit and its window or refill rate, which
// algorithm fits, whether the limit is per token or wider, which endpoints
// share a bucket, how honest Retry-After is, and whether unseen traffic is
// eating capacity. It can write what it found as a scenario, so the team
// can compare strategies offline against their org's real behaviour.
//
// It is safe by default: read-only requests, small request and time
// budgets printed with the plan before anything is sent, a stop at the
// first sign of trouble that is not rate limiting (5xx, 401, 403), and
// never a request before the Retry-After it was given has passed.
package discover

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"time"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/clock"
	"github.com/ratelab/ratelab/probe/client"
)

// Endpoint is one route to probe, with the path to send.
type Endpoint struct {
	Route  string // e.g. "GET /api/v2/users/{id}"
	Method string
	Path   string
	// Write marks a no-op update (GET, then PATCH the same values with the
	// current version); it needs AllowWrites.
	Write bool
	User  string
}

// Options configure a discovery.
type Options struct {
	Client    *client.Client
	Clock     clock.Scheduler
	Endpoints []Endpoint
	// MaxRequests and MaxDuration bound the whole discovery.
	MaxRequests int
	MaxDuration time.Duration
	AllowWrites bool
	// NewClient returns a second client with the same credentials, for
	// the scope test (a second token); nil skips it.
	NewClient func() *client.Client
	// Second is a client with other credentials (another OAuth client of
	// the same org), which tells a per-client limit from an org-wide one;
	// nil leaves them "client or wider".
	Second *client.Client
	// Listed is when the user listing that found the probed user was
	// admitted (zero if there was none): it counts in the buckets too.
	Listed time.Time
	// Log, when set, receives a line per phase.
	Log func(format string, args ...any)
}

// Finding is what discovery learned about one endpoint.
type Finding struct {
	Route     string `json:"route"`
	Algorithm string `json:"algorithm"` // fixed-window, sliding-window, token-bucket, or unknown
	// Limit is requests per Window for windows, the refill rate per second
	// for a token bucket.
	Limit      float64 `json:"limit"`
	Window     float64 `json:"window_s,omitempty"`
	Burst      float64 `json:"burst,omitempty"`
	RatePerMin float64 `json:"rate_per_min"` // measured: what reached the probe
	// LimitPerMin is the best estimate of the configured limit: the value
	// the gateway names in its 429 body when the measurement corroborates
	// it (60% to 110% of it), else the measured rate.
	LimitPerMin float64 `json:"limit_per_min"`
	Confidence  float64 `json:"confidence"`
	// LimitKey and LimitNamespace and LimitValue come from the 429 body's
	// limit object, when the gateway sends one.
	LimitKey       string  `json:"limit_key,omitempty"`
	LimitNamespace string  `json:"limit_namespace,omitempty"`
	LimitValue     float64 `json:"limit_value,omitempty"`
	// Scope is "token" when a fresh token gets fresh capacity, "client or
	// wider" when it does not, "" when untested.
	Scope      string   `json:"scope,omitempty"`
	SharesWith []string `json:"shares_with,omitempty"`
	// Hints compares Retry-After with the time until a request was really
	// admitted.
	Hints HintStats `json:"retry_after"`
	// Unseen is capacity the gateway announces (limit object) but the probe
	// could not use: traffic it cannot see, per minute.
	Unseen float64 `json:"unseen_per_min,omitempty"`
	// Layers are every limit met on the route, in the order each first
	// refused: the burst layer first, then what bound sustained traffic.
	// The fields above describe the binding one, Layers[Binding]: the
	// lowest sustained rate. Binding is -1 when that is not known (the
	// sustained phase was skipped or cut short, or a layer refused whose
	// limit could not be measured); the fields then describe the burst
	// layer, and the notes say why.
	Layers  []Layer `json:"layers,omitempty"`
	Binding int     `json:"binding"`
	// Sustained is the admitted rate measured over the sustained phase
	// (SustainedSpan seconds at just under the burst layer's rate); 0
	// when it was not measured.
	Sustained     float64  `json:"sustained_per_min,omitempty"`
	SustainedSpan float64  `json:"sustained_span_s,omitempty"`
	FirstBurst    int      `json:"first_burst"`
	SecondBurst   int      `json:"second_burst"`
	Requests      int      `json:"requests"`
	Notes         []string `json:"notes,omitempty"`
	// measuredOn is the route whose probing found these limits: this one,
	// or the one it shares them all with.
	measuredOn string
}

// HintStats describes the Retry-After hints met.
type HintStats struct {
	Seen         int     `json:"seen"`
	Zero         int     `json:"zero"`
	Missing      int     `json:"missing"`
	RoundedDown  int     `json:"rounded_down"` // shorter than the real wait by over half a second
	MeanHint     float64 `json:"mean_hint_s"`
	MeanRealWait float64 `json:"mean_real_wait_s"`
}

// Result is a whole discovery.
type Result struct {
	Target   string    `json:"target"`
	Findings []Finding `json:"endpoints"`
	Requests int       `json:"requests"`
	Elapsed  float64   `json:"elapsed_s"`
	Stopped  string    `json:"stopped,omitempty"` // why discovery stopped early
	// LimitsAPI says whether the target's limits API was read.
	LimitsAPI string `json:"limits_api"`
	Truncated bool   `json:"budget_exhausted,omitempty"`
}

// ErrTrouble stops discovery: an answer that is not rate limiting.
var ErrTrouble = errors.New("discover: stopped")

type prober struct {
	o        Options
	start    time.Time
	requests int
	ctx      context.Context
	// events are every admission and refusal, in order, for counting what
	// a bucket held when it refused.
	events []event
	// documented are the limits API's values by namespace and key; nil
	// when the target does not serve it.
	documented map[string]float64
	// read are the namespaces read.
	read map[string]bool
	// last is the probing client's last answer.
	last answer
	// expect, when set, is the limit key being measured: waitAdmit stops
	// with errForeign when another key refuses.
	expect string
	// lastRefused is when waitAdmit's last 429 arrived: the limit reset
	// between it and the admission.
	lastRefused time.Time
}

var errBudget = errors.New("discover: budget exhausted")

// errForeign stops a measurement of one limit when another one refuses.
var errForeign = errors.New("discover: another limit refused")

// answer is one response as discovery sees it.
type answer struct {
	at     time.Time // when it arrived
	status int
	hint   time.Duration
	hasRA  bool
	raw    string
	limit  struct {
		Key       string  `json:"key"`
		Namespace string  `json:"namespace"`
		Value     float64 `json:"value"`
	}
}

func (p *prober) now() time.Time { return p.o.Clock.Now() }

func (p *prober) sleep(d time.Duration) error {
	if p.now().Add(d).Sub(p.start) > p.o.MaxDuration {
		return errBudget
	}
	return p.o.Clock.Sleep(p.ctx, d)
}

// send makes one request on e with c, within the budgets; 5xx, 401 and 403
// stop discovery.
func (p *prober) send(c *client.Client, e Endpoint) (answer, error) {
	var a answer
	if p.requests >= p.o.MaxRequests {
		return a, errBudget
	}
	if p.now().Sub(p.start) > p.o.MaxDuration {
		return a, errBudget
	}
	p.requests++
	var resp *client.Response
	var err error
	if e.Write {
		r, u, gerr := c.GetUser(p.ctx, e.User)
		if gerr != nil || r.Status != http.StatusOK {
			resp, err = r, gerr
		} else {
			if p.requests >= p.o.MaxRequests {
				return a, errBudget
			}
			p.requests++
			resp, err = c.PatchUser(p.ctx, e.User, u.Version, client.Changes{Department: u.Department})
		}
	} else {
		resp, err = c.Do(p.ctx, e.Method, e.Path, nil, nil)
	}
	a.at = p.now()
	if err != nil {
		if errors.Is(err, client.ErrLoginThrottled) {
			return a, fmt.Errorf("%w: the token endpoint is rate limited", ErrTrouble)
		}
		return a, fmt.Errorf("%w: %v", ErrTrouble, err)
	}
	a.status = resp.Status
	switch {
	case resp.Status >= 500:
		return a, fmt.Errorf("%w: %s answered %d, not a rate limit", ErrTrouble, e.Route, resp.Status)
	case resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden:
		return a, fmt.Errorf("%w: %s answered %d: check the credentials and their permissions", ErrTrouble, e.Route, resp.Status)
	case resp.Status == http.StatusTooManyRequests:
		a.raw = resp.RetryAfter
		if d, ok := client.ParseRetryAfter(resp.RetryAfter, a.at); ok {
			a.hint, a.hasRA = d, true
		}
		var body struct {
			Limit json.RawMessage `json:"limit"`
		}
		if json.Unmarshal(resp.Body, &body) == nil && body.Limit != nil {
			_ = json.Unmarshal(body.Limit, &a.limit)
		}
	}
	p.note(c, e, a)
	if a.status == http.StatusTooManyRequests && longWait(a) {
		return a, &quotaError{a: a}
	}
	return a, nil
}

// event is one answer as the bucket arithmetic needs it.
type event struct {
	at    time.Time
	route string
	main  bool // sent by the probing client (not a scope test's)
	ok    bool // admitted; else refused (429)
	key   string
	hint  time.Duration // a refusal's Retry-After, when it had one
	long  bool          // a quota's or long window's refusal (longWait)
}

func (p *prober) note(c *client.Client, e Endpoint, a answer) {
	if a.status != http.StatusTooManyRequests && (a.status < 200 || a.status > 299) {
		return
	}
	if c == p.o.Client {
		p.last = a
	}
	p.events = append(p.events, event{at: a.at, route: e.Route, main: c == p.o.Client, ok: a.status != http.StatusTooManyRequests, key: a.limit.Key, hint: a.hint, long: longWait(a)})
}

// burst sends back-to-back until a 429 or max; it returns the admitted
// count, the time of the first admitted request and the 429.
func (p *prober) burst(c *client.Client, e Endpoint, max int) (int, time.Time, *answer, error) {
	n := 0
	var first time.Time
	for i := 0; i < max; i++ {
		sent := p.now()
		a, err := p.send(c, e)
		if err != nil {
			return n, first, nil, err
		}
		if a.status == http.StatusTooManyRequests {
			return n, first, &a, nil
		}
		if n == 0 {
			first = sent
		}
		n++
	}
	return n, first, nil, nil
}

// waitAdmit polls e after a 429 until a request is admitted: never before
// the hint has passed, then at growing intervals. It returns the admitted
// answer, the real wait from the 429 and the 429s met on the way.
func (p *prober) waitAdmit(c *client.Client, e Endpoint, last answer, st *HintStats) (answer, time.Duration, error) {
	if longWait(last) {
		return answer{}, 0, &quotaError{a: last} // never sat out
	}
	from := last.at
	step := 25 * time.Millisecond
	cur := last
	p.lastRefused = last.at
	for {
		wait := step
		if cur.hasRA && cur.hint > wait {
			wait = cur.hint
		}
		if err := p.sleep(wait); err != nil {
			return answer{}, 0, err
		}
		sent := p.now()
		a, err := p.send(c, e)
		if err != nil {
			return answer{}, 0, err
		}
		if a.status != http.StatusTooManyRequests {
			real := sent.Sub(from)
			p.noteHint(last, real, st)
			return a, real, nil
		}
		if p.expect != "" && a.limit.Key != "" && a.limit.Key != p.expect {
			return a, 0, errForeign
		}
		cur = a
		p.lastRefused = a.at
		step = min(2*step, time.Second)
	}
}

func (p *prober) noteHint(a answer, real time.Duration, st *HintStats) {
	st.Seen++
	switch {
	case a.raw == "":
		st.Missing++
	case a.hasRA && a.hint == 0:
		st.Zero++
	}
	if a.hasRA && real-a.hint > 500*time.Millisecond {
		st.RoundedDown++
	}
	n := float64(st.Seen)
	st.MeanHint += (a.hint.Seconds() - st.MeanHint) / n
	st.MeanRealWait += (real.Seconds() - st.MeanRealWait) / n
}

// Run discovers the limits of every endpoint.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Clock == nil {
		o.Clock = &clock.Real{}
	}
	for _, e := range o.Endpoints {
		if e.Write && !o.AllowWrites {
			return nil, fmt.Errorf("discover: %s writes; pass --allow-writes (it only re-sends the current values)", e.Route)
		}
	}
	p := &prober{o: o, start: o.Clock.Now(), ctx: ctx}
	if !o.Listed.IsZero() {
		p.events = append(p.events, event{at: o.Listed, route: api.UsersList.Route().Name(), main: true, ok: true})
	}
	res := &Result{LimitsAPI: p.readDocumented()}
	var err error
	for i, e := range o.Endpoints {
		// An endpoint already found to share a bucket has that bucket's
		// limits: probing it again would only measure the leftovers.
		if j := sharedWith(res.Findings, e.Route); j >= 0 {
			f := res.Findings[j]
			f.Route, f.SharesWith, f.Requests, f.Scope = e.Route, nil, 0, res.Findings[j].Scope
			f.measuredOn = res.Findings[j].measuredOn
			f.Notes = append(append([]string(nil), f.Notes...), "shares the bucket of "+res.Findings[j].Route+": limits measured there")
			res.Findings = append(res.Findings, f)
			continue
		}
		before := p.requests
		var f Finding
		f, err = p.endpoint(e, o.Endpoints, i)
		f.measuredOn = e.Route
		if err == nil {
			p.document(&f)
		}
		f.Requests = p.requests - before
		res.Findings = append(res.Findings, f)
		if err != nil {
			break
		}
	}
	res.Requests = p.requests
	res.Elapsed = p.now().Sub(p.start).Seconds()
	switch {
	case errors.Is(err, errBudget):
		res.Truncated = true
		res.Stopped = "the request or time budget ran out; raise --max-requests or --max-duration for more certainty"
		err = nil
	case errors.Is(err, ErrTrouble):
		res.Stopped = err.Error()
		err = nil
	}
	markSharing(res.Findings)
	return res, err
}

// windows are the window lengths a fixed window may align to.
var windows = []time.Duration{time.Second, 10 * time.Second, time.Minute, time.Hour}

// probe is one endpoint's discovery in progress: what each phase measured
// for the next.
type probe struct {
	*prober
	e        Endpoint
	f        Finding
	c        *client.Client
	maxBurst int
	// fresh is the scope tests' token; extra the layers found after the
	// first; scopes and refusals what the sustained phase met, by key.
	fresh    *client.Client
	from     int // the route's first event
	quotaHit *quotaError
	// sustained: the sustained phase ran to its end, so which layer
	// binds can be known.
	sustained bool
	// rateFloor: the burst layer's rate is a lower bound (one refill seen).
	rateFloor bool
	// saturated: its refills came back whole (see paceUp).
	saturated bool
	extra     []Layer
	scopes    map[string]string
	shares    map[string][]string
	group     []string // the routes counted with this one (see counts)
	refusals  map[string]answer
	// n1 admitted from t0 until first429 (at exhausted); after the wait,
	// the first admission at reset (the limit reset after refusedAt), then
	// n2 admitted at once until second429.
	n1, n2              int
	t0, exhausted       time.Time
	reset, refusedAt    time.Time
	first429, second429 *answer
}

func (q *probe) log(format string, args ...any) {
	if q.o.Log != nil {
		q.o.Log(q.e.Route+": "+format, args...)
	}
}

// endpoint discovers e's limits: drain it, test sharing and scope while
// it is spent, wait for the reset, drain again, and tell a window from a
// token bucket by what the second drain got back; then measure sustained
// traffic for the layers under that one. A quota or a long window ends
// the route's probing at once.
func (p *prober) endpoint(e Endpoint, all []Endpoint, idx int) (Finding, error) {
	q := &probe{prober: p, e: e, f: Finding{Route: e.Route, Algorithm: "unknown"}, c: p.o.Client, from: len(p.events)}
	err := q.layers(all, idx)
	var qe *quotaError
	if errors.As(err, &qe) {
		q.quota(qe.a)
		err = nil
	}
	q.finish()
	return q.f, err
}

func (q *probe) layers(all []Endpoint, idx int) error {
	if err := q.align(); err != nil {
		return err
	}
	q.maxBurst = max((q.o.MaxRequests-q.requests)/3, 10)
	if err := q.drain(); err != nil || q.first429 == nil {
		return err
	}
	if err := q.sharing(all, idx); err != nil {
		return err
	}
	if err := q.scope(); err != nil {
		return err
	}
	if err := q.refill(); err != nil {
		return err
	}
	var err error
	if float64(q.n2) >= 0.5*float64(q.n1) && q.n1 >= 2 {
		err = q.window()
	} else {
		err = q.tokenBucket()
	}
	if err != nil {
		return err
	}
	if q.quotaHit != nil {
		return q.quotaHit
	}
	if err := q.paceUp(); err != nil {
		return err
	}
	return q.sustain(all, idx)
}

// align waits until 3.37 s past a ten-second boundary, so fixed windows,
// which reset at boundaries, and sliding ones, which reset a window after
// the start, reset at clearly different instants.
func (q *probe) align() error {
	off := time.Duration(q.now().UnixNano() % int64(10*time.Second))
	return q.sleep((13370*time.Millisecond - off) % (10 * time.Second))
}

// drain sends back-to-back until the first 429. When another endpoint's
// drain left this one empty, it waits for it to recover and drains again.
// No 429 within the budget ends the endpoint's discovery (first429 nil).
func (q *probe) drain() error {
	n1, t0, first429, err := q.burst(q.c, q.e, q.maxBurst)
	if err == nil && n1 == 0 && first429 != nil {
		var adm answer
		if adm, _, err = q.waitAdmit(q.c, q.e, *first429, &q.f.Hints); err == nil {
			var more int
			more, _, first429, err = q.burst(q.c, q.e, q.maxBurst)
			n1, t0 = more+1, adm.at
		}
	}
	q.f.FirstBurst, q.n1, q.t0 = n1, n1, t0
	if err != nil {
		return err
	}
	if first429 == nil {
		q.f.Notes = append(q.f.Notes, fmt.Sprintf("no 429 in %d back-to-back requests: the limit is higher than this budget can reach", n1))
		q.log("no 429 after %d requests", n1)
		return nil
	}
	q.log("429 after %d requests (Retry-After %q)", n1, first429.raw)
	q.f.LimitKey, q.f.LimitNamespace, q.f.LimitValue = first429.limit.Key, first429.limit.Namespace, first429.limit.Value
	q.first429, q.exhausted = first429, first429.at
	return nil
}

// sharing sends every other endpoint one request while this endpoint's
// limit is spent: a 429 naming the same limit is a shared bucket. It runs
// before the scope test, so the drain is fresh.
func (q *probe) sharing(all []Endpoint, idx int) error {
	var err error
	q.f.SharesWith, err = q.sharers(q.f.LimitKey, all, idx)
	return err
}

// sharers sends every other endpoint one request while the limit named
// key refuses this one: those refused by the same limit share it.
func (q *probe) sharers(key string, all []Endpoint, idx int) ([]string, error) {
	var out []string
	for j, o := range all {
		if j == idx {
			continue
		}
		a, err := q.send(q.c, o)
		if err != nil {
			return out, err
		}
		if a.status == http.StatusTooManyRequests && (a.limit.Key == "" || a.limit.Key == key) {
			out = append(out, o.Route)
		}
	}
	if q.documented != nil {
		// The limits API was read before probing: whether this limit
		// held those reads too decides whether they count in it.
		a, err := q.send(q.c, Endpoint{Route: limitsRoute, Method: http.MethodGet, Path: limitsPath})
		if err != nil {
			return out, err
		}
		if a.status == http.StatusTooManyRequests && (a.limit.Key == "" || a.limit.Key == key) {
			out = append(out, limitsRoute)
		}
	}
	return out, nil
}

// scope has a fresh token, never refused yet, send a few requests at once.
// If they all pass while the old token's limit is spent, the limit is per
// token; a refill would let through one at most. The old token sends
// nothing until its Retry-After has passed.
func (q *probe) scope() error {
	scope, err := q.scopeOf(min(3, q.n1), 2)
	q.f.Scope = scope
	return err
}

// refill waits for the first admission, honouring every hint, then drains
// again at once: a window gives a whole window back, a token bucket only
// what trickled in.
func (q *probe) refill() error {
	adm, _, err := q.waitAdmit(q.c, q.e, *q.first429, &q.f.Hints)
	if err != nil {
		return err
	}
	q.reset, q.refusedAt = adm.at, q.lastRefused
	n2, _, second429, err := q.burst(q.c, q.e, q.maxBurst)
	if qe := (*quotaError)(nil); errors.As(err, &qe) {
		// A quota cut the second drain short: classify with what came
		// back, then stop the route.
		q.quotaHit, second429, err = qe, &qe.a, nil
	}
	n2++ // the admitted poll
	q.f.SecondBurst, q.n2, q.second429 = n2, n2, second429
	if err != nil {
		return err
	}
	if second429 == nil {
		q.f.Notes = append(q.f.Notes, "the second burst did not reach a 429 within the budget")
	}
	q.log("first admitted %.2fs after the 429, then %d more at once", q.reset.Sub(q.exhausted).Seconds(), n2)
	return nil
}

// window classifies a limit that gave much back at once. The limit reset
// somewhere in (refusedAt, reset]: a fixed window has a boundary there, a
// sliding one is a window after t0.
func (q *probe) window() error {
	f := &q.f
	for _, w := range windows {
		lo, hi := q.refusedAt.UnixNano(), q.reset.UnixNano()
		if hi/int64(w) > lo/int64(w) && q.reset.Sub(q.exhausted) < w {
			f.Algorithm, f.Window, f.Confidence = "fixed-window", w.Seconds(), 0.9
			break
		}
	}
	if f.Algorithm != "fixed-window" {
		f.Algorithm, f.Window, f.Confidence = "sliding-window", roundWindow(q.reset.Sub(q.t0)).Seconds(), 0.7
		if err := q.spreadTest(); err != nil {
			return err
		}
	}
	if f.Algorithm != "token-bucket" { // the spread test measured a bucket's rate itself
		f.Limit = float64(q.n2)
		if q.second429 != nil && q.second429.limit.Key != f.LimitKey {
			// Another limit cut the second drain short: the first one,
			// made in a fresh window, is this window's count.
			f.Limit = float64(q.n1)
		}
		f.RatePerMin = f.Limit / f.Window * 60
	}
	return nil
}

// spreadTest tells a sliding window from a token bucket that refilled
// during the hint (they look the same so far): it spreads requests below
// the rate for one window, then drains. A sliding window has little left,
// a token bucket is full. It is skipped when the budgets cannot cover it.
func (q *probe) spreadTest() error {
	f := &q.f
	w := time.Duration(f.Window * float64(time.Second))
	rate := float64(q.n2) / f.Window
	spread := int(0.8 * rate * f.Window)
	if q.quotaHit != nil || spread < 2 || q.now().Add(w).Sub(q.start) >= q.o.MaxDuration || q.requests+spread+q.n2 >= q.o.MaxRequests {
		return nil
	}
	if q.second429 != nil {
		if _, _, err := q.waitAdmit(q.c, q.e, *q.second429, &f.Hints); err != nil {
			return err
		}
	}
	gap := time.Duration(float64(time.Second) / (0.8 * rate))
	for k := 0; k < spread; k++ {
		if err := q.sleep(gap); err != nil {
			return err
		}
		if _, err := q.send(q.c, q.e); err != nil {
			return err
		}
	}
	nb, _, _, err := q.burst(q.c, q.e, q.maxBurst)
	if err != nil {
		return err
	}
	if float64(nb) >= 0.6*float64(q.n2) {
		f.Algorithm, f.Burst, f.Limit, f.RatePerMin, f.Window, f.Confidence = "token-bucket", float64(q.n1), rate, rate*60, 0, 0.8
		// A whole burst back after a whole-second hint: the bucket may
		// refill faster than that (paceUp checks).
		q.saturated = q.n2*10 >= q.n1*9
		q.log("after a window at 80%% of the rate, %d more at once: a token bucket", nb)
		return nil
	}
	f.Confidence = 0.9
	q.log("after a window at 80%% of the rate, only %d more at once: a sliding window", nb)
	return nil
}

// tokenBucket measures a limit that gave little back at once: it waits for
// admission and drains again, cycle after cycle, for ten seconds; the
// refill rate is what got through. A bulk release on the way is a sliding
// window whose oldest admissions (the first burst) left.
func (q *probe) tokenBucket() error {
	f := &q.f
	f.Algorithm, f.Burst = "token-bucket", float64(q.n1)
	admitted, from := q.n2, q.reset
	// Another limit refusing ends the measurement: what got through until
	// then was this one's rate; the sustained phase reads the other.
	q.expect = q.f.LimitKey
	defer func() { q.expect = "" }()
	for cur := q.second429; cur != nil && q.now().Sub(from) < 10*time.Second && cur.limit.Key == q.f.LimitKey; {
		a, _, err := q.waitAdmit(q.c, q.e, *cur, &f.Hints)
		if err != nil {
			if errors.Is(err, errBudget) || errors.Is(err, errForeign) {
				break
			}
			return err
		}
		more, _, next, err := q.burst(q.c, q.e, q.maxBurst)
		if err != nil && !errors.Is(err, errBudget) {
			return err
		}
		if float64(more+1) >= 0.5*float64(q.n1) && q.n1 >= 4 {
			f.Algorithm, f.Burst = "sliding-window", 0
			f.Window = roundWindow(a.at.Sub(q.t0)).Seconds()
			f.Limit = float64(q.n1)
			f.RatePerMin = f.Limit / f.Window * 60
			f.Confidence = 0.8
			q.log("%d admitted at once %.1fs after the first burst: a sliding window", more+1, a.at.Sub(q.t0).Seconds())
			return nil
		}
		admitted += more + 1
		cur = next
		if err != nil {
			break
		}
	}
	if span := q.now().Sub(from).Seconds(); span > 0 && admitted > 1 {
		// The first of those admissions was already due at reset.
		f.Limit = float64(admitted-1) / span
		f.RatePerMin = f.Limit * 60
		f.Confidence = math.Min(0.9, 0.5+span/25)
		return nil
	}
	// Another limit (or a quota) refused before a second refill: the one
	// refill seen, over the wait it took, is all there is — at least the
	// rate, since the bucket may have filled before the wait ended.
	if wait := q.reset.Sub(q.exhausted).Seconds(); wait > 0 {
		f.Limit = float64(q.n2) / wait
		f.RatePerMin, f.Confidence = f.Limit*60, 0.4
		q.rateFloor = true
		f.Notes = append(f.Notes, fmt.Sprintf("the burst layer's refill was seen once (%d in %.1f s) before another limit refused: its rate is at least %.0f/min, not measured over time",
			q.n2, wait, f.RatePerMin))
	}
	return nil
}

// roundWindow snaps a measured window to a round length within 10%.
func roundWindow(d time.Duration) time.Duration {
	for _, w := range windows {
		if math.Abs(float64(d-w)) <= 0.1*float64(w) {
			return w
		}
	}
	return d.Round(100 * time.Millisecond)
}

// sharedWith returns the index of a finding that shares route, or -1.
// A route shares a finding only when it shares every layer found there:
// a route with a tighter limit of its own under a shared one is probed.
func sharedWith(fs []Finding, route string) int {
	for i, f := range fs {
		if len(f.Layers) == 0 || f.Layers[0].Algorithm == "unknown" || !contains(f.SharesWith, route) {
			continue
		}
		all := true
		for _, l := range f.Layers[1:] {
			if l.Algorithm != "daily-quota" && !contains(l.SharesWith, route) {
				all = false
			}
		}
		if all {
			return i
		}
	}
	return -1
}

// markSharing makes sharing symmetric.
func markSharing(fs []Finding) {
	idx := map[string]int{}
	for i, f := range fs {
		idx[f.Route] = i
	}
	for i := range fs {
		for _, r := range fs[i].SharesWith {
			if j, ok := idx[r]; ok && !contains(fs[j].SharesWith, fs[i].Route) {
				fs[j].SharesWith = append(fs[j].SharesWith, fs[i].Route)
			}
		}
	}
	for i := range fs {
		sort.Strings(fs[i].SharesWith)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
