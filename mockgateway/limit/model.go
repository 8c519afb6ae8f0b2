package limit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"time"
)

// Request is what the model knows about one request: the values each scope
// keys on, and the index of the client's tier (0 when tiers are unused).
type Request struct {
	Token, Client, User, Org, IP string
	Tier                         int
}

// Consulted is one bucket's view of a request.
type Consulted struct {
	Bucket *Bucket
	// Remaining is the capacity left at the decision time: after this
	// request when it was admitted, before it when it was rejected.
	Remaining float64
	// Limit is the bucket's capacity for this request's tier (tokens, window
	// count or in-flight count).
	Limit float64
	// Wait is how long until this bucket alone would admit the request; 0
	// when it admits now or cannot tell (concurrency), Never when it never
	// will.
	Wait time.Duration
	// Refused reports whether this bucket alone would have refused it.
	Refused bool
}

// Decision is the model's verdict on one request. Reuse one Decision across
// calls to avoid allocation: Decide overwrites it.
type Decision struct {
	Allowed bool
	// Buckets lists every bucket of the route, in the route's order.
	Buckets []Consulted
	// Rejected is the index in Buckets of the bucket the gateway reports:
	// the first one, in route order, that refused. -1 when admitted.
	Rejected int
	// Wait is the true wait: the earliest time from now at which this same
	// request would be admitted by every bucket, given what the model knows.
	Wait time.Duration
	// ReportedWait is the wait of the reported bucket alone, which is what a
	// gateway that consults one limit for its Retry-After would compute.
	ReportedWait time.Duration
}

// Bucket is one named limit with a state per scope value. Its methods are
// safe for concurrent use through the Model that owns it.
type Bucket struct {
	spec     Spec
	rates    []Rate    // limit per tier (one entry when not from tier)
	limits   []float64 // window or in-flight capacity per tier
	states   map[stateKey]state
	bg       []*bgLoad
	admitted uint64
	rejected uint64
}

type stateKey struct {
	tier int
	key  string
}

// Spec returns the bucket's description.
func (b *Bucket) Spec() Spec { return b.spec }

// Name returns the bucket's name.
func (b *Bucket) Name() string { return b.spec.Name }

// LimitValue returns the count of the bucket's rate for tier (e.g. 180 for
// 180/min), the figure the 429 body's limit object reports.
func (b *Bucket) LimitValue(tier int) float64 {
	return b.rates[b.tierIndex(tier)].N
}

// MostAdmitted bounds, in request units, what one state of the bucket for
// tier can admit from its making at from until to: a token bucket (which
// starts full) its burst plus its refill over the span; a fixed window its
// count in each window the span touches (windows are aligned to the
// clock's zero, as the state keeps them, a daily quota's shifted to its
// reset time); a sliding window its count in
// each window-long stretch that covers the span (span/window + 1). A
// concurrency bucket has no bound over time: +Inf.
func (b *Bucket) MostAdmitted(tier int, from, to time.Time) float64 {
	t := b.tierIndex(tier)
	span := to.Sub(from)
	w := int64(b.window(t))
	switch b.spec.Algorithm {
	case TokenBucket:
		burst := b.spec.Burst
		if burst <= 0 {
			burst = int(math.Max(1, math.Ceil(b.rates[t].PerSecond())))
		}
		return float64(burst) + b.rates[t].PerSecond()*span.Seconds()
	case FixedWindow, DailyQuota:
		o := b.offset(t)
		return b.limits[t] * float64((windowStart(to.UnixNano(), w, o)-windowStart(from.UnixNano(), w, o))/w+1)
	case SlidingWindow:
		return b.limits[t] * float64(int64(span)/w+1)
	}
	return math.Inf(1)
}

func (b *Bucket) tierIndex(tier int) int {
	if !b.spec.FromTier || tier < 0 || tier >= len(b.rates) {
		return 0
	}
	return tier
}

func (b *Bucket) scopeKey(route string, r *Request) string {
	switch b.spec.Scope {
	case ScopeToken:
		return r.Token
	case ScopeClient:
		return r.Client
	case ScopeUser:
		return r.User
	case ScopeOrg:
		return r.Org
	case ScopeIP:
		return r.IP
	case ScopeRoute:
		return route
	}
	return ""
}

func (b *Bucket) state(tier int, key string) state {
	t := b.tierIndex(tier)
	k := stateKey{t, key}
	if s, ok := b.states[k]; ok {
		return s
	}
	var s state
	switch b.spec.Algorithm {
	case TokenBucket:
		burst := b.spec.Burst
		if burst <= 0 {
			burst = int(math.Max(1, math.Ceil(b.rates[t].PerSecond())))
		}
		s = newTokenBucket(b.rates[t].PerSecond(), burst)
	case FixedWindow, DailyQuota:
		s = &fixedWindow{limit: b.limits[t], window: int64(b.window(t)), offset: b.offset(t), start: math.MinInt64}
	case SlidingWindow:
		s = newSlidingWindow(b.limits[t], b.window(t))
	default:
		s = &inflight{limit: b.limits[t]}
	}
	b.states[k] = s
	return s
}

// offset returns where the bucket's windows start past each multiple of
// the window for tier: Spec.Reset, reduced into [0, window), for a daily
// quota; 0 otherwise.
func (b *Bucket) offset(tier int) int64 {
	if b.spec.Algorithm != DailyQuota {
		return 0
	}
	w := int64(b.window(tier))
	return (int64(b.spec.Reset)%w + w) % w
}

func (b *Bucket) window(tier int) time.Duration {
	if b.spec.Window > 0 {
		return b.spec.Window
	}
	return b.rates[tier].Per
}

// MaxRate is the fastest background load New accepts, in arrivals per
// second of model time (after any time compression). Arrivals are spaced to
// the nanosecond: at 1e6/s, 1µs apart, the rounding is within 0.05% of the
// rate, while above 1e9/s the spacing would round to nothing.
const MaxRate = 1e6

// MaxSlidingCapacity is the most requests a sliding-window bucket may hold
// in one window: its log keeps 8 bytes per request for each scope value, so
// at most 8 MB per key.
const MaxSlidingCapacity = 1_000_000

// catchUp is how many background arrivals a call charges one by one before
// it charges the older ones in bulk (bgLoad.skip): 65536 arrivals, a few
// milliseconds of work, an 18-hour jump for a load of 1/s.
const catchUp = 1 << 16

// maxStep is the longest gap between two background arrivals: a century,
// far inside a time.Duration, for loads so slow no run sees a second one.
const maxStep = 100 * 365 * 24 * time.Hour

// bgLoad is lazily computed background traffic on one bucket state.
type bgLoad struct {
	cfg      Background
	gap      float64 // mean seconds between arrivals
	rng      *rand.Rand
	next     time.Time
	admitted uint64
	rejected uint64
}

// step draws the gap to the next arrival, at most maxStep.
func (g *bgLoad) step() time.Duration {
	s := g.gap
	if g.cfg.Poisson {
		s = g.rng.ExpFloat64() * g.gap
	}
	if s >= maxStep.Seconds() {
		return maxStep
	}
	return time.Duration(s * 1e9)
}

// advance charges every background arrival up to now, in time order, one
// by one while at most catchUp are due. After a longer jump it first
// charges the older ones in bulk (skip), so its work per call is bounded
// whatever the rate and the jump: at most about 4·catchUp arrivals one by
// one per load.
func (b *Bucket) advance(now time.Time) {
	for _, g := range b.bg {
		st := b.state(g.cfg.Tier, g.cfg.Key)
		for n := 0; !g.next.After(now); n++ {
			if n%catchUp == 0 {
				g.skip(st, now, n >= 4*catchUp)
				if g.next.After(now) {
					break
				}
			}
			if _, _, ok := st.peek(g.next, 1); ok {
				st.take(g.next, 1)
				g.admitted++
			} else {
				g.rejected++
			}
			g.next = g.next.Add(g.step())
		}
	}
}

// skip charges in bulk the arrivals due up to to, which is now less the
// span of the last catchUp/2 mean gaps, or now itself when all is set; it
// does nothing while at most catchUp arrivals are due and all is not set,
// so sane rates and jumps never reach it. The skipped arrivals are
// estimates: their count is exact for evenly spaced load and the expected
// count for Poisson load (whose next arrival is drawn afresh from to: the
// process is memoryless); the state is charged as if they all came at to,
// and the counters count as admitted what the state takes at to plus its
// refill over the skipped span.
func (g *bgLoad) skip(st state, now time.Time, all bool) {
	due := now.Sub(g.next).Seconds() / g.gap
	if due <= catchUp && !all {
		return
	}
	to := now
	if !all {
		to = now.Add(-time.Duration(g.gap * 1e9 * catchUp / 2))
	}
	span := to.Sub(g.next)
	var k uint64
	if g.cfg.Poisson {
		k = 1 + uint64(math.Round(span.Seconds()/g.gap))
		g.next = to.Add(g.step())
	} else {
		step := g.step()
		k = 1 + uint64(span/step)
		g.next = g.next.Add(time.Duration(k) * step)
	}
	admitted := min(k, st.takeUpTo(to, k)+uint64(st.refill()*span.Seconds()))
	g.admitted += admitted
	g.rejected += k - admitted
}

// Route is an ordered stack of buckets charged together with one cost.
type Route struct {
	Name    string
	Cost    int
	buckets []*Bucket
}

// Buckets returns the route's buckets in order.
func (r *Route) Buckets() []*Bucket { return r.buckets }

// Model is a set of buckets and the routes that stack them. It is safe for
// concurrent use; one lock makes each stacked check-and-charge atomic.
type Model struct {
	mu      sync.Mutex
	cfg     Config
	buckets []*Bucket
	byName  map[string]*Bucket
	tiers   map[string]int
	last    time.Time
}

// New builds a model whose background load starts at start.
func New(cfg Config, start time.Time) (*Model, error) {
	m := &Model{cfg: cfg, byName: map[string]*Bucket{}, tiers: map[string]int{}}
	for i, t := range cfg.Tiers {
		if _, dup := m.tiers[t.Name]; dup {
			return nil, fmt.Errorf("limit: tier %q defined twice", t.Name)
		}
		m.tiers[t.Name] = i
	}
	for _, sp := range cfg.Buckets {
		if _, dup := m.byName[sp.Name]; dup {
			return nil, fmt.Errorf("limit: bucket %q defined twice", sp.Name)
		}
		b := &Bucket{spec: sp, states: map[stateKey]state{}}
		rates := []Rate{sp.Limit}
		if sp.FromTier {
			if len(cfg.Tiers) == 0 {
				return nil, fmt.Errorf("limit: bucket %q takes its limit from tiers, but no tiers are defined", sp.Name)
			}
			rates = rates[:0]
			for _, t := range cfg.Tiers {
				r, ok := t.Limits[sp.Name]
				if !ok {
					return nil, fmt.Errorf("limit: bucket %q takes its limit from tiers, but tier %q has no %q", sp.Name, t.Name, sp.Name)
				}
				rates = append(rates, r)
			}
		}
		for _, r := range rates {
			if r.N <= 0 || (sp.Algorithm != Concurrency && r.Per <= 0) {
				return nil, fmt.Errorf("limit: bucket %q: limit %v must be positive", sp.Name, r)
			}
			b.rates = append(b.rates, r)
			switch sp.Algorithm {
			case FixedWindow, SlidingWindow, DailyQuota:
				w := b.window(len(b.rates) - 1)
				if w <= 0 {
					return nil, fmt.Errorf("limit: bucket %q: window must be positive", sp.Name)
				}
				// Round away float noise: 300/min over 60s is 300, not 299.99999.
				n := math.Round(r.PerSecond()*w.Seconds()*1e6) / 1e6
				if sp.Algorithm == SlidingWindow && (n < 1 || n > MaxSlidingCapacity) {
					return nil, fmt.Errorf("limit: bucket %q: sliding window holds %v requests; it needs at least 1 and at most %d", sp.Name, n, MaxSlidingCapacity)
				}
				b.limits = append(b.limits, n)
			default:
				b.limits = append(b.limits, r.N)
			}
		}
		if sp.Burst < 0 {
			return nil, fmt.Errorf("limit: bucket %q: burst %d < 0", sp.Name, sp.Burst)
		}
		m.buckets = append(m.buckets, b)
		m.byName[sp.Name] = b
	}
	for i, bg := range cfg.Background {
		b, ok := m.byName[bg.Bucket]
		if !ok {
			return nil, fmt.Errorf("limit: background[%d]: unknown bucket %q (valid: %s)", i, bg.Bucket, m.bucketNames())
		}
		if b.spec.Algorithm == Concurrency {
			return nil, fmt.Errorf("limit: background[%d]: bucket %q counts requests in flight; background load needs a rate-based bucket", i, bg.Bucket)
		}
		if r := bg.Rate.PerSecond(); !(r > 0 && r <= MaxRate) {
			return nil, fmt.Errorf("limit: background[%d]: rate %v must be positive and at most %g/s", i, bg.Rate, float64(MaxRate))
		}
		g := &bgLoad{cfg: bg, gap: 1 / bg.Rate.PerSecond(), rng: rand.New(rand.NewPCG(cfg.Seed, uint64(i)+1))}
		b.bg = append(b.bg, g)
	}
	m.reset(start)
	return m, nil
}

func (m *Model) bucketNames() string {
	names := make([]string, 0, len(m.buckets))
	for _, b := range m.buckets {
		names = append(names, b.spec.Name)
	}
	sort.Strings(names)
	return fmt.Sprint(names)
}

// Bucket returns the bucket named name.
func (m *Model) Bucket(name string) (*Bucket, bool) {
	b, ok := m.byName[name]
	return b, ok
}

// Buckets returns every bucket in definition order.
func (m *Model) Buckets() []*Bucket { return m.buckets }

// TierIndex returns the index of the tier named name.
func (m *Model) TierIndex(name string) (int, bool) {
	i, ok := m.tiers[name]
	return i, ok
}

// Route stacks the named buckets, in order, into a route charged cost per
// request (cost 0 means 1).
func (m *Model) Route(name string, cost int, buckets ...string) (*Route, error) {
	if cost <= 0 {
		cost = 1
	}
	r := &Route{Name: name, Cost: cost}
	for _, n := range buckets {
		b, ok := m.byName[n]
		if !ok {
			return nil, fmt.Errorf("limit: route %q: unknown bucket %q (valid: %s)", name, n, m.bucketNames())
		}
		r.buckets = append(r.buckets, b)
	}
	return r, nil
}

// Decide decides whether req on route r is admitted at now, charges every
// bucket when it is and none when it is not, and writes the verdict to d.
func (m *Model) Decide(now time.Time, r *Route, req Request, d *Decision) {
	m.mu.Lock()
	defer m.mu.Unlock()
	// Time never runs backwards inside the model: concurrent callers may
	// read the clock in a slightly different order than they lock.
	if now.Before(m.last) {
		now = m.last
	}
	m.last = now
	d.Buckets = d.Buckets[:0]
	d.Allowed, d.Rejected, d.Wait, d.ReportedWait = true, -1, 0, 0
	var states [8]state // the route's states, found once; longer routes look up again
	for i, b := range r.buckets {
		b.advance(now)
		st := b.state(req.Tier, b.scopeKey(r.Name, &req))
		if i < len(states) {
			states[i] = st
		}
		rem, wait, ok := st.peek(now, r.Cost)
		d.Buckets = append(d.Buckets, Consulted{Bucket: b, Remaining: rem, Limit: st.capacity(), Wait: wait, Refused: !ok})
		if !ok {
			if d.Allowed {
				d.Allowed, d.Rejected, d.ReportedWait = false, i, wait
			}
			if wait > d.Wait {
				d.Wait = wait
			}
		}
	}
	if !d.Allowed {
		for _, b := range r.buckets {
			b.rejected++
		}
		return
	}
	for i, b := range r.buckets {
		var st state
		if i < len(states) {
			st = states[i]
		} else {
			st = b.state(req.Tier, b.scopeKey(r.Name, &req))
		}
		st.take(now, r.Cost)
		d.Buckets[i].Remaining -= float64(r.Cost)
		b.admitted++
	}
}

// Release ends an admitted request on r, freeing its concurrency slots.
// It does nothing for routes without concurrency buckets.
func (m *Model) Release(r *Route, req Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range r.buckets {
		if b.spec.Algorithm == Concurrency {
			b.state(req.Tier, b.scopeKey(r.Name, &req)).release(r.Cost)
		}
	}
}

// Reset forgets every bucket state and counter and restarts background
// load at now.
func (m *Model) Reset(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reset(now)
}

func (m *Model) reset(now time.Time) {
	m.last = now
	for _, b := range m.buckets {
		b.states = map[stateKey]state{}
		b.admitted, b.rejected = 0, 0
		for i, g := range b.bg {
			g.rng = rand.New(rand.NewPCG(m.cfg.Seed, uint64(i)+1))
			g.next = now.Add(g.step())
			g.admitted, g.rejected = 0, 0
		}
	}
}

// KeyLevel is the level of one bucket state.
type KeyLevel struct {
	Key       string  `json:"key"`
	Tier      int     `json:"tier"`
	Remaining float64 `json:"remaining"`
	Limit     float64 `json:"limit"`
}

// BucketStats summarises one bucket.
type BucketStats struct {
	Name               string     `json:"name"`
	Algorithm          string     `json:"algorithm"`
	Scope              string     `json:"scope"`
	Admitted           uint64     `json:"admitted"`
	Rejected           uint64     `json:"rejected"`
	BackgroundAdmitted uint64     `json:"background_admitted"`
	BackgroundRejected uint64     `json:"background_rejected"`
	Levels             []KeyLevel `json:"levels"`
}

// Stats returns every bucket's counters and current levels at now, after
// charging background load up to now.
func (m *Model) Stats(now time.Time) []BucketStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Before(m.last) {
		now = m.last
	}
	out := make([]BucketStats, 0, len(m.buckets))
	for _, b := range m.buckets {
		b.advance(now)
		s := BucketStats{Name: b.spec.Name, Algorithm: b.spec.Algorithm.String(), Scope: b.spec.Scope.String(),
			Admitted: b.admitted, Rejected: b.rejected}
		for _, g := range b.bg {
			s.BackgroundAdmitted += g.admitted
			s.BackgroundRejected += g.rejected
		}
		for k, st := range b.states {
			rem, _, _ := st.peek(now, 0)
			s.Levels = append(s.Levels, KeyLevel{Key: k.key, Tier: k.tier, Remaining: rem, Limit: st.capacity()})
		}
		sort.Slice(s.Levels, func(i, j int) bool {
			if s.Levels[i].Tier != s.Levels[j].Tier {
				return s.Levels[i].Tier < s.Levels[j].Tier
			}
			return s.Levels[i].Key < s.Levels[j].Key
		})
		out = append(out, s)
	}
	return out
}
