package discover

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ratelab/ratelab/internal/table"
)

// Layer is one limit met on a route. A route usually has several
// (Genesys applies more than one limit to most requests): the one that
// refuses a short burst first is often not the one that holds sustained
// traffic back.
type Layer struct {
	Algorithm string `json:"algorithm"` // fixed-window, sliding-window, token-bucket, daily-quota or unknown
	// Limit is requests per Window for windows, the refill rate per second
	// for a token bucket, the count per day for a quota (when known).
	Limit       float64 `json:"limit"`
	Window      float64 `json:"window_s,omitempty"`
	Burst       float64 `json:"burst,omitempty"`
	RatePerMin  float64 `json:"rate_per_min"`  // measured: what reached the probe
	LimitPerMin float64 `json:"limit_per_min"` // best estimate of the configured limit
	Confidence  float64 `json:"confidence"`
	Scope       string  `json:"scope,omitempty"`
	// LimitKey, LimitNamespace and LimitValue come from the 429 body's
	// limit object; Documented from the limits API.
	LimitKey       string  `json:"limit_key,omitempty"`
	LimitNamespace string  `json:"limit_namespace,omitempty"`
	LimitValue     float64 `json:"limit_value,omitempty"`
	Documented     float64 `json:"documented,omitempty"`
	Unseen         float64 `json:"unseen_per_min,omitempty"`
	// SharesWith are the other routes this limit refused while it refused
	// this one.
	SharesWith []string `json:"shares_with,omitempty"`
	// AtLeast marks a rate that is a floor, not a measurement: a token
	// bucket's refill seen once, or a pace it never refused.
	AtLeast bool `json:"at_least,omitempty"`
	// ResetsIn is, for a quota, how long until it resets (seconds), and
	// ResetAt the time of day it resets at (UTC, "15:04").
	ResetsIn float64 `json:"resets_in_s,omitempty"`
	ResetAt  string  `json:"reset_at,omitempty"`
}

// Describe says what the layer is, in a few words: "bursts of 10 at
// 600/min (token bucket, token)".
func (l Layer) Describe() string {
	scope := ""
	if l.Scope != "" {
		scope = ", " + l.Scope
	}
	switch {
	case l.Algorithm == "daily-quota":
		s := "daily quota reached; " + l.ResetsInText()
		if l.LimitValue > 0 {
			s = fmt.Sprintf("daily quota of %.0f reached; %s", l.LimitValue, l.ResetsInText())
		}
		return s
	case l.Algorithm == "token-bucket" && l.AtLeast && l.LimitPerMin <= l.RatePerMin:
		return fmt.Sprintf("bursts of %.0f at %.0f/min or more (token bucket%s)", l.Burst, l.LimitPerMin, scope)
	case l.Algorithm == "token-bucket":
		return fmt.Sprintf("bursts of %.0f at %.0f/min (token bucket%s)", l.Burst, l.LimitPerMin, scope)
	case l.Window > 0:
		return fmt.Sprintf("%.0f per %gs = %.0f/min (%s%s)", l.LimitPerMin*l.Window/60, l.Window, l.LimitPerMin, strings.ReplaceAll(l.Algorithm, "-", " "), scope)
	}
	return fmt.Sprintf("%.0f/min measured (algorithm unknown%s)", l.RatePerMin, scope)
}

// Summary says what limits the route in one line, layer by layer: "bursts
// of 10 at 600/min (token bucket, token); sustained 120 per 60s = 120/min
// (sliding window, client or wider)".
func (f *Finding) Summary() string {
	var parts []string
	for i, l := range f.Layers {
		if l.Algorithm == "unknown" && l.RatePerMin <= 0 {
			continue
		}
		d := l.Describe()
		if i == f.Binding && len(f.Layers) > 1 && l.Algorithm != "token-bucket" {
			d = "sustained " + d
		} else if i == f.Binding && len(f.Layers) > 1 {
			d = strings.Replace(d, "bursts of", "sustained; bursts of", 1)
		}
		parts = append(parts, d)
	}
	if f.Binding < 0 {
		parts = append(parts, "which layer binds sustained traffic was not measured (the notes say why)")
	}
	return strings.Join(parts, "; ")
}

// ResetsInText says when a quota resets: "resets in 6h58m", or that the
// 429 did not say.
func (l Layer) ResetsInText() string {
	if l.ResetsIn <= 0 {
		return "reset unknown"
	}
	return "resets in " + hm(l.ResetsIn)
}

// hm prints a duration in seconds as "5h12m", "12m30s" or "40s".
func hm(s float64) string {
	d := time.Duration(s * float64(time.Second)).Round(time.Second)
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return d.String()
}

// layerOf is the layer the first phases measured into f.
func layerOf(f *Finding) Layer {
	return Layer{Algorithm: f.Algorithm, Limit: f.Limit, Window: f.Window, Burst: f.Burst, RatePerMin: f.RatePerMin,
		LimitPerMin: f.LimitPerMin, Confidence: f.Confidence, Scope: f.Scope, LimitKey: f.LimitKey,
		LimitNamespace: f.LimitNamespace, LimitValue: f.LimitValue, Unseen: f.Unseen}
}

// show copies l into f's headline fields.
func (f *Finding) show(l Layer) {
	f.Algorithm, f.Limit, f.Window, f.Burst, f.RatePerMin = l.Algorithm, l.Limit, l.Window, l.Burst, l.RatePerMin
	f.LimitPerMin, f.Confidence, f.Scope, f.Unseen = l.LimitPerMin, l.Confidence, l.Scope, l.Unseen
	f.LimitKey, f.LimitNamespace, f.LimitValue = l.LimitKey, l.LimitNamespace, l.LimitValue
}

// sustainSpan is how long the sustained phase measures: one whole
// window of the longest window discovery can align to within its default
// budget (a minute), so a sliding or fixed minute window under a looser
// burst layer refuses, releases and is counted.
const sustainSpan = time.Minute

// longWait is a 429 no prober should sit out: Retry-After beyond three
// minutes (the official SDKs stop retrying above 180 s), or a limit whose
// key says it counts per day.
func longWait(a answer) bool {
	return a.status == http.StatusTooManyRequests && (a.hasRA && a.hint > 3*time.Minute || strings.Contains(a.limit.Key, "per.day"))
}

// quotaError stops probing a route: it met a quota or a long window.
type quotaError struct{ a answer }

func (e *quotaError) Error() string {
	return fmt.Sprintf("a limit with Retry-After %s", hm(e.a.hint.Seconds()))
}

// quota records the long limit a met and ends the route's probing.
func (q *probe) quota(a answer) {
	l := Layer{Algorithm: "daily-quota", LimitKey: a.limit.Key, LimitNamespace: a.limit.Namespace, LimitValue: a.limit.Value,
		ResetsIn: a.hint.Seconds(), Limit: a.limit.Value, Confidence: 0.9}
	n := 0 // admitted since discovery began, on any route: a day counts them all
	for _, ev := range q.events {
		if ev.ok {
			n++
		}
	}
	if l.Limit <= 0 {
		l.Limit = float64(n) // at least what this route got: the 429 did not say
	}
	reset := "resets in " + hm(l.ResetsIn)
	if a.hint > 0 {
		l.ResetAt = a.at.Add(a.hint).UTC().Round(time.Minute).Format("15:04")
	} else {
		reset = "its reset is unknown (Retry-After " + strconv.Quote(a.raw) + ")"
	}
	note := fmt.Sprintf("daily quota reached after %d requests admitted since discovery began; %s: this route was not probed further", n, reset)
	if !strings.Contains(a.limit.Key, "day") && a.hint < time.Hour {
		l.Algorithm, l.Confidence = "unknown", 0.5
		note = fmt.Sprintf("a limit with a long window refused after %d requests admitted since discovery began (Retry-After %s%s): discovery does not wait that long, so this route was not probed further",
			n, hm(l.ResetsIn), keyed(a))
	}
	q.extra = append(q.extra, l)
	q.f.Notes = append(q.f.Notes, note)
	q.log("%s", note)
}

func keyed(a answer) string {
	if a.limit.Key == "" {
		return ""
	}
	return ", " + a.limit.Key
}

// sustain measures what holds sustained traffic back: after the burst
// layer is known, it sends at just under that layer's rate for a whole
// minute (longer while a refusal is still waiting for its release) and
// reads every other limit that refuses from the answers: which key
// refused, when it released, and how much it had admitted.
func (q *probe) sustain(all []Endpoint, idx int) error {
	rate := q.f.RatePerMin / 60
	if q.f.Algorithm == "unknown" || rate <= 0 {
		return nil
	}
	if ok, why := q.canSustain(); !ok {
		q.f.Notes = append(q.f.Notes, why)
		q.log("%s", why)
		return nil
	}
	// Start from a recovered burst layer, so its own refusals do not
	// read as another limit's.
	if q.last.status == http.StatusTooManyRequests {
		if _, _, err := q.waitAdmit(q.c, q.e, q.last, &q.f.Hints); err != nil {
			if q.f.LimitKey != "" {
				q.extra = append(q.extra, q.readLayers(q.from)...)
			}
			return q.sustainStopped(err, 0)
		}
	}
	from, start := len(q.events), q.now()
	err := q.paced(start, time.Duration(float64(time.Second)/(0.95*rate)), all, idx)
	span := q.now().Sub(start)
	admitted := 0
	for _, ev := range q.events[from:] {
		if ev.main && ev.ok && ev.route == q.e.Route {
			admitted++
		}
	}
	if span > 0 {
		q.f.Sustained, q.f.SustainedSpan = float64(admitted)/span.Seconds()*60, span.Seconds()
	}
	q.log("sustained: %d admitted in %.0fs at a pace of %.0f/min (%.0f/min)", admitted, span.Seconds(), 0.95*rate*60, q.f.Sustained)
	if q.f.LimitKey != "" {
		// With keys to tell the limits apart, refusals by others in the
		// earlier phases count too.
		from = q.from
	}
	// What refused so far is reported even when the phase was cut short;
	// which layer binds is then not known.
	q.extra = append(q.extra, q.readLayers(from)...)
	if err != nil {
		return q.sustainStopped(err, span)
	}
	q.sustained = true
	return nil
}

// paced sends at the pace gap for the sustained span (longer while a
// refusal waits for its release), honouring every Retry-After, and runs
// the scope test of each limit the first time it refuses.
func (q *probe) paced(start time.Time, gap time.Duration, all []Endpoint, idx int) error {
	step := 25 * time.Millisecond
	pending := false
	for q.now().Sub(start) < sustainSpan || pending && q.now().Sub(start) < 2*sustainSpan {
		a, err := q.send(q.c, q.e)
		if err != nil {
			return err
		}
		wait := gap
		if a.status == http.StatusTooManyRequests {
			if !pending {
				if err := q.scopeLayer(a, all, idx); err != nil {
					return err
				}
			}
			pending = true
			wait = max(step, a.hint)
			step = min(2*step, time.Second)
		} else {
			pending, step = false, 25*time.Millisecond
		}
		if err := q.sleep(wait); err != nil {
			return err
		}
	}
	return nil
}

// canSustain says whether the budgets left cover a sustained measurement,
// and when they do not, which budget would.
func (q *probe) canSustain() (bool, string) {
	left := q.o.MaxDuration - q.now().Sub(q.start)
	need := sustainSpan + 10*time.Second
	if left < need {
		want := (q.now().Sub(q.start) + 2*sustainSpan).Round(time.Minute) + time.Minute
		return false, fmt.Sprintf("sustained rate not measured, so a tighter limit under this one would go unseen: %.0f s of the time budget left, less than the %.0f s it takes; --max-duration %s would measure the %.0f s window",
			max(left.Seconds(), 0), need.Seconds(), table.Short(want), sustainSpan.Seconds())
	}
	if left := q.o.MaxRequests - q.requests; left < 100 {
		return false, fmt.Sprintf("sustained rate not measured, so a tighter limit under this one would go unseen: %d requests of the budget left; --max-requests %d would measure the %.0f s window",
			left, q.requests+int(0.95*q.f.RatePerMin)+100, sustainSpan.Seconds())
	}
	return true, ""
}

// sustainStopped says why the sustained phase ended early and which
// budget would have covered it; the error passes on.
func (q *probe) sustainStopped(err error, span time.Duration) error {
	if !errors.Is(err, errBudget) {
		return err
	}
	rest := sustainSpan - span
	what := fmt.Sprintf("--max-duration %s", table.Short((q.now().Sub(q.start)+rest+sustainSpan).Round(time.Minute)+time.Minute))
	if q.requests >= q.o.MaxRequests {
		what = fmt.Sprintf("--max-requests %d", q.requests+int(0.95*q.f.RatePerMin*rest.Minutes())+100)
	}
	q.f.Notes = append(q.f.Notes, fmt.Sprintf("the budget ran out %.0f s into the %.0f s sustained measurement: the layers below are what refused until then, and which one binds is not known; %s would cover it",
		span.Seconds(), sustainSpan.Seconds(), what))
	return err
}

// paceUp checks a token bucket's rate against the one its 429s announce
// (or the limits API documents) when the measurement found much less and
// every refill came back whole.
// Retry-After is whole seconds, so a bucket refilling more than its burst
// in a second looks, wait after wait, like burst-per-second: a floor. From
// a full bucket, requests paced at 95% of the announced rate either all
// pass — the rate is at least that pace less the burst over the span — or
// meet a 429 after N admitted in t, which measures the rate as (N −
// burst) / t.
func (q *probe) paceUp() error {
	f := &q.f
	claim := f.LimitValue
	if claim <= 0 {
		claim, _ = q.documentedValue(f.LimitNamespace, f.LimitKey)
	}
	if !q.saturated || f.Algorithm != "token-bucket" || !strings.Contains(f.LimitKey, "per.minute") || claim < 1.2*f.RatePerMin || f.RatePerMin <= 0 {
		return nil
	}
	if q.last.status == http.StatusTooManyRequests {
		if _, _, err := q.waitAdmit(q.c, q.e, q.last, &f.Hints); err != nil {
			return err
		}
	}
	if err := q.sleep(time.Duration(f.Burst / (f.RatePerMin / 60) * float64(time.Second))); err != nil {
		return err // a full bucket: the burst at the floor rate
	}
	pace, floor := 0.95*claim/60, f.RatePerMin/60
	span := time.Duration(min(10, max(2, 3*f.Burst/(pace-floor))) * float64(time.Second))
	start, n := q.now(), 0
	for q.now().Sub(start) < span {
		a, err := q.send(q.c, q.e)
		if err != nil {
			return err
		}
		if a.status == http.StatusTooManyRequests {
			if a.limit.Key != f.LimitKey {
				return nil // another limit refused: no conclusion on this one
			}
			if t := a.at.Sub(start).Seconds(); t >= 1 && float64(n) > f.Burst {
				f.Limit = (float64(n) - f.Burst) / t
				f.RatePerMin, f.Confidence = f.Limit*60, 0.7
				q.rateFloor = false
				q.log("paced at %.0f/min: a 429 after %d in %.1fs, so %.0f/min", pace*60, n, t, f.RatePerMin)
			}
			return nil
		}
		n++
		if err := q.sleep(time.Duration(float64(time.Second) / pace)); err != nil {
			return err
		}
	}
	if bound := pace - f.Burst/span.Seconds(); bound > floor {
		f.Limit = bound
		f.RatePerMin, f.Confidence, q.rateFloor = f.Limit*60, 0.7, true
	}
	q.log("paced at %.0f/min for %.0fs without a 429: at least %.0f/min", pace*60, span.Seconds(), f.RatePerMin)
	return nil
}

// run is a spell of refusals on the probing client until an admission.
type run struct {
	key         string
	first, last time.Time // the run's first refusal by key, and its last refusal
	adm         time.Time // the admission that ended it; zero if none
	// firstAt and admAt are those answers' places in the events: in
	// virtual time many answers share an instant.
	firstAt, admAt int
	// lo is the earliest the limit can have released: the last refusal,
	// or a second before its Retry-After ran out (hints are whole
	// seconds, rounded either way).
	lo time.Time
}

// readLayers finds, in the sustained phase's answers, every limit other
// than the burst layer and measures each.
func (q *probe) readLayers(from int) []Layer {
	byKey := map[string][]run{}
	for _, r := range q.runs(from) {
		if r.key == q.f.LimitKey && (r.key != "" || !q.keylessLayer()) {
			continue // the burst layer's own refusals
		}
		byKey[r.key] = append(byKey[r.key], r)
	}
	// In the order each first refused on this route, the earlier phases
	// included.
	var keys []string
	for _, ev := range q.events[q.from:] {
		if _, ok := byKey[ev.key]; ok && !ev.ok && !slices.Contains(keys, ev.key) {
			keys = append(keys, ev.key)
		}
	}
	var out []Layer
	for _, k := range keys {
		// Count what this limit held: this route's admissions and those of
		// the routes found to share it.
		q.group = q.shares[k]
		l := q.measure(byKey[k], q.events[len(q.events)-1].at)
		l.LimitKey = k
		l.Scope, l.SharesWith = q.scopes[k], q.shares[k]
		if a, ok := q.refusals[k]; ok {
			l.LimitNamespace, l.LimitValue = a.limit.Namespace, a.limit.Value
		}
		q.corroborate(&l)
		if k == "" && q.dishonest(from) {
			l.Confidence = min(l.Confidence, 0.4)
			q.f.Notes = append(q.f.Notes, "no limit keys in the 429s and Retry-After mostly 0 or missing: the layer under the burst one was told apart by timing alone; treat it as a lead, not a measurement")
		}
		q.log("another layer: %s", l.Describe())
		out = append(out, l)
	}
	return out
}

// dishonest says whether most refusals since event from said nothing
// useful about the wait (Retry-After 0 or missing).
func (q *probe) dishonest(from int) bool {
	n, zero := 0, 0
	for _, ev := range q.events[from:] {
		if !ev.ok && ev.main {
			n++
			if ev.hint == 0 {
				zero++
			}
		}
	}
	return n > 0 && 2*zero >= n
}

// keylessLayer says whether, without limit keys to tell layers apart, the
// measurement shows a layer under the burst one: the sustained rate well
// below the pace the burst layer allowed.
func (q *probe) keylessLayer() bool {
	return q.f.Sustained < 0.85*0.95*q.f.RatePerMin
}

// runs splits the probing client's answers on this route into refusal
// runs, each named by the key that refused last before the admission.
func (q *probe) runs(from int) []run {
	var out []run
	var cur *run
	for i := from; i < len(q.events); i++ {
		ev := q.events[i]
		if !ev.main || ev.route != q.e.Route || ev.long {
			continue // a quota's refusal is reported as a quota, not read as a layer
		}
		if !ev.ok {
			if cur == nil {
				cur = &run{first: ev.at, firstAt: i}
			}
			if ev.key != cur.key {
				cur.key, cur.first, cur.firstAt = ev.key, ev.at, i
			}
			cur.last, cur.lo = ev.at, ev.at
			if ev.hint > time.Second {
				cur.lo = ev.at.Add(ev.hint - time.Second)
			}
			continue
		}
		if cur != nil {
			cur.adm, cur.admAt = ev.at, i
			out = append(out, *cur)
			cur = nil
		}
	}
	if cur != nil {
		out = append(out, *cur)
	}
	return out
}

// measure reads one layer from its refusal runs: a token bucket releases
// a request or two at a time, often; a window releases many at once, at a
// boundary (fixed) or a window after the oldest admission (sliding).
func (q *probe) measure(rs []run, end time.Time) Layer {
	l := Layer{Algorithm: "unknown", Confidence: 0.3}
	var resolved []run
	for _, r := range rs {
		if !r.adm.IsZero() {
			resolved = append(resolved, r)
		}
	}
	if len(resolved) == 0 {
		q.f.Notes = append(q.f.Notes, fmt.Sprintf("%s refused and did not release within the measurement: its window is longer than discovery measures (%s), so its limit is unknown",
			orUnnamed(rs[0].key), windowList()))
		return l
	}
	gives := make([]int, 0, len(resolved))
	for i, r := range resolved {
		until := len(q.events)
		if i+1 < len(resolved) {
			until = resolved[i+1].firstAt
		}
		gives = append(gives, q.count(time.Time{}, r.admAt, until, true))
	}
	if len(resolved) >= 3 && median(gives) <= 3 {
		// A trickle: a token bucket whose rate is what got through once
		// it refused, and whose burst is what it held before.
		span := end.Sub(rs[0].first).Seconds()
		rate := float64(q.count(time.Time{}, rs[0].firstAt, len(q.events), false)) / span
		held := float64(q.count(q.t0, 0, rs[0].firstAt, false)) - rate*rs[0].first.Sub(q.t0).Seconds()
		l.Algorithm, l.Limit, l.RatePerMin, l.Burst = "token-bucket", rate, rate*60, math.Max(1, math.Round(held))
		l.Confidence = math.Min(0.9, 0.5+span/25)
		return l
	}
	// Each release was in (lo, adm]: a fixed window's at a boundary,
	// within a window of the refusal, giving back much at once; a sliding
	// window's a window after an admission it then held. The fit that
	// explains the most releases wins (fixed first on a tie): traffic this
	// client cannot see may explain the others.
	best, bestW, bestN := "", time.Duration(0), 0
	for _, alg := range []string{"fixed-window", "sliding-window"} {
		for _, w := range windows {
			n := 0
			for i, r := range resolved {
				if r.adm.Sub(r.first) > w {
					continue
				}
				switch alg {
				case "fixed-window":
					b := r.adm.UnixNano() / int64(w) * int64(w)
					if b > r.lo.UnixNano() && (gives[i] >= 3 || i == len(resolved)-1) {
						n++
					}
				default:
					if q.admitted(r.lo.Add(-w), r.adm.Add(-w+time.Nanosecond), false) > 0 {
						n++
					}
				}
			}
			if n > bestN {
				best, bestW, bestN = alg, w, n
			}
		}
	}
	if bestN == 0 || 2*bestN < len(resolved) {
		q.f.Notes = append(q.f.Notes, fmt.Sprintf("%s refused and released after %.0f s, which fits no window discovery aligns to (%s) nor a token bucket's trickle: its limit is unknown",
			orUnnamed(rs[0].key), resolved[0].adm.Sub(resolved[0].first).Seconds(), windowList()))
		return l
	}
	{
		r := resolved[0]
		l.Algorithm, l.Window, l.Confidence = best, bestW.Seconds(), 0.6+0.3*float64(bestN)/float64(len(resolved))
		from := r.first.Add(-bestW)
		if best == "fixed-window" {
			from = time.Unix(0, r.first.UnixNano()/int64(bestW)*int64(bestW))
		}
		l.Limit = float64(q.count(from, 0, r.firstAt, false))
	}
	if l.Window > 0 {
		l.RatePerMin = l.Limit / l.Window * 60
	}
	return l
}

// admitted counts admissions in [from, to) on this route and the routes
// that share its bucket: by the probing client only, or by every client
// discovery used.
func (q *probe) admitted(from, to time.Time, mainOnly bool) int {
	n := 0
	for _, ev := range q.events {
		if !ev.at.Before(from) && ev.at.Before(to) && q.counts(ev, mainOnly) {
			n++
		}
	}
	return n
}

// count counts the same admissions among events[lo:hi] sent at or after
// from.
func (q *probe) count(from time.Time, lo, hi int, mainOnly bool) int {
	n := 0
	for _, ev := range q.events[lo:hi] {
		if !ev.at.Before(from) && q.counts(ev, mainOnly) {
			n++
		}
	}
	return n
}

func (q *probe) counts(ev event, mainOnly bool) bool {
	return ev.ok && (!mainOnly || ev.main) && (ev.route == q.e.Route || contains(q.group, ev.route))
}

func windowList() string {
	var ws []string
	for _, w := range windows {
		ws = append(ws, table.Short(w))
	}
	return strings.Join(ws, ", ")
}

func orUnnamed(key string) string {
	if key == "" {
		return "a limit"
	}
	return key
}

// scopeLayer runs the scope and sharing tests for a limit met in the
// sustained phase, once per key: a fresh token (then a second client,
// when there is one) sends one request while the limit refuses the
// probing client, and every other route one.
func (q *probe) scopeLayer(a answer, all []Endpoint, idx int) error {
	if a.limit.Key == q.f.LimitKey && a.limit.Key != "" {
		return nil // the burst layer's own
	}
	if q.refusals == nil {
		q.refusals, q.scopes, q.shares = map[string]answer{}, map[string]string{}, map[string][]string{}
	}
	q.refusals[a.limit.Key] = a // the latest: its limit object names the layer
	if _, done := q.scopes[a.limit.Key]; done {
		return nil
	}
	scope, err := q.scopeOf(1, 1)
	q.scopes[a.limit.Key] = scope
	if err != nil {
		return err
	}
	q.shares[a.limit.Key], err = q.sharers(a.limit.Key, all, idx)
	return err
}

// scopeOf sends tries requests with a fresh token, then one with the
// second client if the token was refused: a limit the fresh token passes
// (all tries, and at least need of them) is per token, one the second client passes per client, one both meet
// org-wide; without a second client, "client or wider".
func (q *probe) scopeOf(tries, need int) (string, error) {
	if q.o.NewClient == nil {
		return "", nil
	}
	if q.fresh == nil {
		q.fresh = q.o.NewClient()
	}
	passed := 0
	for k := 0; k < tries; k++ {
		b, err := q.send(q.fresh, q.e)
		if err != nil {
			return "", err
		}
		if b.status == http.StatusTooManyRequests {
			break
		}
		passed++
	}
	if passed == tries && tries >= need {
		return "token", nil
	}
	if q.o.Second == nil {
		return "client or wider", nil
	}
	b, err := q.send(q.o.Second, q.e)
	if err != nil {
		return "", err
	}
	if b.status == http.StatusTooManyRequests {
		return "org", nil
	}
	return "client", nil
}

// corroborate sets the layer's best estimate from the gateway's own
// figures when the measurement agrees with them, and says when it does
// not.
func (q *probe) corroborate(l *Layer) {
	// A rate seen over one refill only is a floor: the gap to the
	// announced value is not evidence of unseen traffic.
	atLeast := l.AtLeast
	l.LimitPerMin = l.RatePerMin
	if l.LimitValue > 0 && strings.Contains(l.LimitKey, "per.minute") {
		if l.RatePerMin >= 0.6*l.LimitValue && l.RatePerMin <= 1.1*l.LimitValue {
			l.LimitPerMin = l.LimitValue
		}
		if missing := l.LimitValue - l.RatePerMin; l.RatePerMin > 0 && missing > 0.1*l.LimitValue && !atLeast {
			l.Unseen = missing
			q.f.Notes = append(q.f.Notes, fmt.Sprintf("the gateway announces %g/min for %s but only %.0f/min reached this client: traffic you cannot see uses the rest",
				l.LimitValue, l.LimitKey, l.RatePerMin))
		}
	}
}

// finish lists the route's layers, picks the binding one (the lowest
// sustained rate) for the headline fields, and sets the documented
// values beside the measured ones.
func (q *probe) finish() {
	f := &q.f
	f.Binding = -1
	if f.Algorithm == "unknown" && len(q.extra) == 0 {
		return
	}
	var layers []Layer
	if f.Algorithm != "unknown" || f.LimitKey != "" {
		l1 := layerOf(f)
		l1.SharesWith, l1.AtLeast = f.SharesWith, q.rateFloor
		q.corroborate(&l1)
		layers = append(layers, l1)
	}
	layers = append(layers, q.extra...)
	f.Layers, f.Binding = layers, -1
	if len(layers) == 0 {
		return
	}
	// Which layer binds is known only from a whole sustained phase in
	// which every limit that refused was measured.
	known := q.sustained
	for i, l := range layers {
		switch {
		case l.Algorithm == "daily-quota":
		case l.LimitPerMin <= 0:
			known = false
		case f.Binding < 0 || l.LimitPerMin < layers[f.Binding].LimitPerMin:
			f.Binding = i
		}
	}
	if !known {
		f.Binding = -1
	}
	if f.Binding >= 0 {
		f.show(f.Layers[f.Binding])
	} else {
		f.show(f.Layers[0]) // the burst layer, as measured; the notes say why no more
	}
}

func median(xs []int) int {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
