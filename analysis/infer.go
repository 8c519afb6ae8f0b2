package analysis

import (
	"math"
	"sort"
	"strings"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/record"
)

// Inferred is what an access log alone says about the client's logical
// operations, inferred by the rules of docs/operation-inference.md: the
// server-side counterpart of Metrics, filled for access logs only.
// Assertions on success_rate, amplification, goodput, drain_time, failed
// and the latency quantiles read it when a run has no Metrics.
type Inferred struct {
	// Ops counts the operations inferred; Succeeded and Failed split them.
	Ops       int `json:"ops"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	// Requests counts the requests that belong to operations; logins,
	// listings and other routes are left out.
	Requests int `json:"requests"`
	// Ambiguous counts retries that could instead have been the first
	// request of a new operation of the same client on the same user (the
	// one before it abandoned): at most this many operations were merged
	// into others, so the true count lies in [Ops, Ops+Ambiguous].
	Ambiguous int `json:"ambiguous"`
	// SuccessRate is Succeeded ÷ Ops; SuccessRateMin is Succeeded ÷
	// (Ops + Ambiguous), the lowest the true rate can be under the rules.
	SuccessRate    float64 `json:"success_rate"`
	SuccessRateMin float64 `json:"success_rate_min"`
	// Goodput is successful operations per second of Elapsed.
	Goodput float64 `json:"goodput"`
	// Amplification is Requests ÷ the fewest requests that take each
	// operation as far as it got (2 for an update that wrote, else 1), as
	// for an attempt log: never below 1.
	Amplification float64 `json:"amplification"`
	// Latencies in seconds run from an operation's first request's arrival
	// to its last response.
	LatencyP50 float64 `json:"latency_p50"`
	LatencyP90 float64 `json:"latency_p90"`
	LatencyP99 float64 `json:"latency_p99"`
	LatencyMax float64 `json:"latency_max"`
	// DrainTime is seconds from the last operation's start to the last
	// operation's end.
	DrainTime float64 `json:"drain_time"`
	// Elapsed is seconds from the log's start to its last response.
	Elapsed float64 `json:"elapsed"`
}

// opFamily is the resource family a user route belongs to: a read and a
// write of one family make one update.
type opFamily uint8

const (
	famUsers opFamily = iota + 1 // /api/v2/users/{id}
	famSCIM                      // /api/v2/scim/v2/users/{id}
)

// opStep is one request's place in an operation.
type opStep struct {
	fam   opFamily
	write bool
}

// stepOf classifies a route ("METHOD /pattern"); false for requests that
// are no part of an operation (logins, listings, /users/me, SCIM create
// and delete).
func stepOf(route string) (opStep, bool) {
	id, ok := api.RouteNamed(route)
	if !ok {
		return opStep{}, false
	}
	switch id {
	case api.UserGet:
		return opStep{famUsers, false}, true
	case api.UserPatch, api.UserPut:
		return opStep{famUsers, true}, true
	case api.ScimGet:
		return opStep{famSCIM, false}, true
	case api.ScimPatch, api.ScimPut:
		return opStep{famSCIM, true}, true
	}
	return opStep{}, false
}

// opKey is whose operation a request belongs to: one client on one user
// of one family.
type opKey struct {
	client, user string
	fam          opFamily
}

// inferredOp is one operation being inferred.
type inferredOp struct {
	key        opKey
	start, end int64 // first arrival; last response's end
	requests   int
	read       bool   // it sent a read
	wrote      bool   // it sent a write
	last       string // its last request's method and route
	lastWrite  bool
	status     int  // its last response's status
	closed     bool // it succeeded with a write, or failed for good
}

// retryable reports whether a client retries a request answered with
// status: a dropped connection, 401 (it logs in again), 408, 409, 429 or
// 5xx.
func retryable(status int) bool {
	return status == 0 || status == 401 || status == 408 || status == 409 || status == 429 || status >= 500
}

func ok2xx(status int) bool { return status >= 200 && status < 300 }

// continues ranks how well a request to route, a write or not, arriving
// at t continues o: 0 not at all, 1 as a blind re-write after a conflict,
// 2 as what a client does next. ambiguous reports a retry that could
// instead have begun a new operation.
func (o *inferredOp) continues(route string, write bool, t int64) (rank int, ambiguous bool) {
	if o.closed || t < o.end {
		return 0, false
	}
	conflict := o.status == 409 && o.lastWrite
	switch {
	case retryable(o.status) && route == o.last && !conflict:
		// The same request again. A new operation begins with it too when
		// it is a read, or a write of an operation that does not read.
		return 2, !write || !o.read
	case conflict && !write:
		// The re-read after a conflict; a new update begins with it too.
		return 2, true
	case ok2xx(o.status) && !o.lastWrite && write:
		return 2, false
	case conflict && route == o.last:
		// The same write again without a re-read: a client that does not
		// follow the protocol, taken only when nothing fits better.
		return 1, !o.read
	}
	return 0, false
}

// inference gathers operations from an access log's requests, in log
// order (each request's record is written after its answer, so an
// operation's earlier requests always come first).
type inference struct {
	open      map[opKey]*openOps
	ops       []*inferredOp
	updaters  map[opKey]bool // client and family (user "") that read then wrote
	requests  int
	ambiguous int
	lastEnd   int64
}

// openOps are one key's operations that are not closed, each list in the
// order they joined it. Kept apart so a read, which never continues an
// operation waiting for its write, never scans those: a client reading
// one user over and over leaves one such operation per read.
type openOps struct {
	read    []*inferredOp // last answered by a 2xx read: waiting for the write
	pending []*inferredOp // last answered retryably: waiting for a retry or a re-read
}

// list returns the list o belongs in by its last response, or nil when it
// is closed.
func (oo *openOps) list(o *inferredOp) *[]*inferredOp {
	switch {
	case o.closed:
		return nil
	case ok2xx(o.status):
		return &oo.read
	}
	return &oo.pending
}

func newInference() *inference {
	return &inference{open: map[opKey]*openOps{}, updaters: map[opKey]bool{}}
}

// best returns the operation of oo a request to route, a write or not,
// arriving at t continues — the best fit, and of those the one answered
// last, since a client sends an update's write as soon as its read is
// answered — and the list it is in; nil when none fits.
func (oo *openOps) best(route string, write bool, t int64) (op *inferredOp, from *[]*inferredOp, ambiguous bool) {
	lists := []*[]*inferredOp{&oo.pending}
	if write {
		lists = append(lists, &oo.read)
	}
	best := 0
	for _, l := range lists {
		for _, o := range *l {
			rank, amb := o.continues(route, write, t)
			if rank > best || rank == best && rank > 0 && o.end > op.end {
				op, from, ambiguous, best = o, l, amb, rank
			}
		}
	}
	return op, from, ambiguous
}

// request attributes one access-log request.
func (in *inference) request(l *record.Request) {
	in.lastEnd = max(in.lastEnd, l.T+l.LatencyNS)
	st, ok := stepOf(l.Route)
	if !ok {
		return
	}
	who := l.Client
	if who == "" {
		who = l.TokenID
	}
	user := l.Path[strings.LastIndexByte(l.Path, '/')+1:]
	key := opKey{who, user, st.fam}
	in.requests++
	oo := in.open[key]
	if oo == nil {
		oo = &openOps{}
		in.open[key] = oo
	}
	op, from, ambiguous := oo.best(l.Route, st.write, l.T)
	if ambiguous {
		in.ambiguous++
	}
	if op == nil {
		op = &inferredOp{key: key, start: l.T}
		in.ops = append(in.ops, op)
	}
	op.requests++
	op.end = l.T + l.LatencyNS
	op.last, op.lastWrite, op.status = l.Route, st.write, l.Status
	if st.write {
		op.wrote = true
		if op.read {
			in.updaters[opKey{client: who, fam: st.fam}] = true
		}
	} else {
		op.read = true
	}
	op.closed = ok2xx(l.Status) && st.write || !ok2xx(l.Status) && !retryable(l.Status)
	if to := oo.list(op); to != from {
		if from != nil {
			remove(from, op)
		}
		if to != nil {
			*to = append(*to, op)
		}
	}
	if len(oo.read) == 0 && len(oo.pending) == 0 {
		delete(in.open, key)
	}
}

// remove takes op out of the list, keeping the others' order.
func remove(list *[]*inferredOp, op *inferredOp) {
	for i, o := range *list {
		if o == op {
			*list = append((*list)[:i], (*list)[i+1:]...)
			return
		}
	}
}

// finish computes the inferred figures; nil when no request belonged to
// an operation.
func (in *inference) finish() *Inferred {
	if len(in.ops) == 0 {
		return nil
	}
	m := &Inferred{Ops: len(in.ops), Requests: in.requests, Ambiguous: in.ambiguous}
	lat := make([]float64, 0, len(in.ops))
	happy := 0
	var maxStart, maxEnd int64
	for _, o := range in.ops {
		updater := in.updaters[opKey{client: o.key.client, fam: o.key.fam}]
		// The fewest requests that take the operation as far as it got:
		// a read and its write two (an update whose read succeeded got
		// to its write), anything else one (an update whose read failed
		// needed only that read to get there).
		if o.read && (o.wrote || updater && ok2xx(o.status)) {
			happy += 2
		} else {
			happy++
		}
		if ok2xx(o.status) && (o.lastWrite || !updater) {
			m.Succeeded++
		}
		lat = append(lat, float64(o.end-o.start)/1e9)
		maxStart, maxEnd = max(maxStart, o.start), max(maxEnd, o.end)
	}
	m.Failed = m.Ops - m.Succeeded
	m.SuccessRate = float64(m.Succeeded) / float64(m.Ops)
	m.SuccessRateMin = float64(m.Succeeded) / float64(m.Ops+m.Ambiguous)
	m.Amplification = float64(m.Requests) / float64(happy)
	m.Elapsed = float64(in.lastEnd) / 1e9
	if m.Elapsed > 0 {
		m.Goodput = float64(m.Succeeded) / m.Elapsed
	}
	sort.Float64s(lat)
	m.LatencyP50, m.LatencyP90, m.LatencyP99 = quantile(0.5, lat), quantile(0.9, lat), quantile(0.99, lat)
	m.LatencyMax = lat[len(lat)-1]
	m.DrainTime = math.Max(0, float64(maxEnd-maxStart)/1e9)
	return m
}
