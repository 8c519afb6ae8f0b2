package analysis

import (
	"sort"

	"github.com/ratelab/ratelab/record"
)

// levelTick is the lowest level a bucket reported in one 100 ms tick.
type levelTick struct {
	min  float64
	seen bool
}

// admits counts one client's admitted and refused requests in a tick.
type admits struct{ ok, refused int }

// storyAcc keeps what the charts of a run need beyond the metrics: each
// bucket's level over time as each client's requests saw it (a bucket
// per client or token has one level per client, a shared one the same
// for all) and each client's admitted and refused requests, by 100 ms
// tick (see bins: memory follows the records).
type storyAcc struct {
	levels  map[seen]*bins[levelTick]
	limits  map[seen]float64
	clients map[string]*bins[admits]
}

// seen is a bucket as one client's requests saw it.
type seen struct{ client, bucket string }

// request notes a request's bucket levels and its client's outcome.
func (s *storyAcc) request(l *record.Request) {
	k := l.T / tick
	if s.levels == nil {
		s.levels, s.limits, s.clients = map[seen]*bins[levelTick]{}, map[seen]float64{}, map[string]*bins[admits]{}
	}
	for _, b := range l.Buckets {
		key := seen{l.Client, b.Name}
		lv, ok := s.levels[key]
		if !ok {
			lv = &bins[levelTick]{}
			s.levels[key] = lv
		}
		t := lv.at(k)
		if !t.seen || b.Remaining < t.min {
			t.min, t.seen = b.Remaining, true
		}
		s.limits[key] = max(s.limits[key], b.Limit)
	}
	c, ok := s.clients[l.Client]
	if !ok {
		c = &bins[admits]{}
		s.clients[l.Client] = c
	}
	switch n := c.at(k); {
	case l.Status == 429:
		n.refused++
	case l.Status >= 200 && l.Status < 300:
		n.ok++
	}
}

// story is what a run's charts draw that the report's figures do not
// keep; nil fields are data the log did not have.
type story struct {
	ticks *tickBins // the outcome timeline by 100 ms tick, to re-bin
	// hints and truths pair each compared 429's Retry-After with the
	// gateway's true wait, in seconds.
	hints, truths []float64
	bucket        *storyAcc
}

// newStory keeps the accumulator's chart data for r.
func (a *accumulator) newStory() *story {
	s := &story{ticks: &a.timeline, hints: a.hints, truths: a.truths}
	if a.story.levels != nil {
		s.bucket = &a.story
	}
	return s
}

// bindingBucket is the bucket that refused the most (ties: the
// tightest), as the main client saw it, with its capacity; "" when the
// log reports no bucket.
func bindingBucket(r *Run) (seen, float64) {
	if r.story == nil || r.story.bucket == nil {
		return seen{}, 0
	}
	me := mainClient(r)
	bs := append([]BucketStats(nil), r.Buckets...)
	sort.SliceStable(bs, func(i, j int) bool {
		if bs[i].Rejected != bs[j].Rejected {
			return bs[i].Rejected > bs[j].Rejected
		}
		return bs[i].Limit < bs[j].Limit
	})
	for _, b := range bs {
		if key := (seen{me, b.Name}); r.story.bucket.levels[key] != nil {
			return key, r.story.bucket.limits[key]
		}
	}
	return seen{}, 0
}

// mainClient is the client that sent the most requests: the one under
// test; the rest are other tenants sharing the gateway.
func mainClient(r *Run) string {
	best, most := "", -1
	for c, b := range r.story.bucket.clients {
		n := 0
		b.each(func(*admits) bool { return true }, func(_ int64, a *admits) { n += a.ok + a.refused })
		if n > most || (n == most && c < best) {
			best, most = c, n
		}
	}
	return best
}

// rebin is the run's outcome timeline in bins of width seconds (a
// multiple of 0.1 s), over [from, to) seconds.
func rebin(r *Run, width, from, to float64) []Bin {
	w := max(int64(width*10+0.5), 1)
	first, last := floorDiv(int64(from*10+0.5), w), floorDiv(int64(to*10+0.5)-1, w)
	if last < first {
		last = first
	}
	out := make([]Bin, last-first+1)
	for i := range out {
		out[i].T = float64((first+int64(i))*w) / 10
	}
	if r.story == nil {
		return out
	}
	r.story.ticks.eachUsed(func(t int64, b *Bin) {
		i := floorDiv(t, w) - first
		if i < 0 || i >= int64(len(out)) {
			return
		}
		out[i].OK += b.OK
		out[i].Throttled += b.Throttled
		out[i].Other += b.Other
	})
	return out
}
