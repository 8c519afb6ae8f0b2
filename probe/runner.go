// Package probe runs a real Genesys sync client against the mock gateway or
// a live API under a workload and a retry strategy, and records every
// attempt.
//
// The runner reads time and waits only through a Clock, so the same code
// runs on the wall clock over sockets and in virtual time in-process. It
// enforces hard safety caps under every strategy — attempts per operation,
// total requests, run duration — so nothing loops forever, not even the
// seed report's naive loop against Retry-After: 0. Per-attempt failures are
// data in the attempt log, never errors that stop the run.
package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/clock"
	"github.com/ratelab/ratelab/probe/client"
	"github.com/ratelab/ratelab/probe/strategy"
	"github.com/ratelab/ratelab/record"
)

// Agent is one client identity with its own strategy state and random
// source. The runner serialises calls to its policy and to the operations
// it starts.
type Agent struct {
	// Name is the client id, recorded on each attempt.
	Name   string
	Client *client.Client
	Policy strategy.Policy
	Rand   *rand.Rand
	mu     sync.Mutex
	// turn lines up the sends waiting on the policy's pacer: only the
	// longest waiter asks it, so a pacer serves them first come, first
	// served, and a thousand waiting sends cost one question per wake-up
	// instead of a thousand.
	turn clock.Queue
}

// Config describes one run.
type Config struct {
	// Agents are the clients; operation i uses Agents[i%len(Agents)].
	Agents []*Agent
	// Clock is the time source; nil means the wall clock.
	Clock clock.Scheduler
	// Operation is one of update-user, patch-user, put-user, scim-update,
	// get-user.
	Operation string
	// Work is the items, one per operation, taken in order.
	Work Work
	// Concurrency is the number of closed-loop workers; used when Rate is 0.
	Concurrency int
	// Rate is the open-loop arrival rate in operations per second; 0 means
	// closed loop. RampTo, when above 0, ramps the rate linearly from Rate
	// to RampTo over Ramp, then holds it.
	Rate    float64
	RampTo  float64
	Ramp    time.Duration
	Poisson bool
	// Safety caps; each must be positive.
	MaxAttempts int
	MaxRequests int
	MaxDuration time.Duration
	// Grace is how long in-flight requests may take after ctx ends.
	Grace time.Duration
	Seed  uint64
	// Log receives the attempt log; nil means none. Run flushes it.
	Log io.Writer
	// Observe, when set, is given every record of the attempt log as it
	// is written, one at a time, before the log is. The record is valid
	// only during the call.
	Observe record.AttemptVisitor
	// Header is written first; the runner fills in the workload fields.
	Header record.Header
	// Progress, when set, is called after every finished operation.
	Progress func(Progress)
}

// Progress is a snapshot for a progress display.
type Progress struct {
	Total, Done, OK, Failed int
	Attempts, Throttled     int
	Elapsed                 time.Duration
}

type runner struct {
	cfg   Config
	op    api.Operation
	clock clock.Scheduler
	start time.Time

	mu       sync.Mutex     // guards everything below and the log
	out      tee            // the observer and the log
	log      *record.Writer // nil without a log
	sum      record.Summary
	requests int
	capHit   string
	// pastCap is the longest wait a strategy asked for that ended an
	// operation with reason wait-past-cap.
	pastCap time.Duration
	// needed sums, over finished operations, the fewest requests that take
	// each as far as it got (the amplification's denominator).
	needed int
}

// Run executes cfg and returns its summary. It returns an error only for a
// bad configuration or a failure to write the log; failed operations are
// data. When ctx ends, no new operation starts, in-flight requests get
// cfg.Grace to finish, and everything recorded is written.
func Run(ctx context.Context, cfg Config) (*record.Summary, error) {
	_, sum, err := run(ctx, cfg)
	return sum, err
}

// run is Run, returning the runner too for what the summary record does
// not hold.
func run(ctx context.Context, cfg Config) (*runner, *record.Summary, error) {
	op, err := cfg.check()
	if err != nil {
		return nil, nil, err
	}
	r := &runner{cfg: cfg, op: op, clock: cfg.Clock}
	if r.clock == nil {
		r.clock = &clock.Real{}
	}
	if cfg.Observe != nil {
		r.out = append(r.out, cfg.Observe)
	}
	if cfg.Log != nil {
		r.log = record.NewWriter(cfg.Log)
		r.out = append(r.out, r.log)
	}
	for _, ag := range cfg.Agents {
		ag.turn = r.clock.NewQueue()
	}
	r.start = r.clock.Now()
	r.writeHeader()
	r.sum.Ops = cfg.Work.Len()

	// Requests in flight keep a context that outlives ctx by the grace
	// period, so an interrupt lets them finish and be recorded. The grace
	// is wall-clock time: it bounds real network requests.
	reqCtx, cancelReq := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelReq()
	var graceTimer *time.Timer
	var graceMu sync.Mutex
	stopGrace := context.AfterFunc(ctx, func() {
		graceMu.Lock()
		graceTimer = time.AfterFunc(cfg.Grace, cancelReq)
		graceMu.Unlock()
	})
	defer func() {
		stopGrace()
		graceMu.Lock()
		if graceTimer != nil {
			graceTimer.Stop()
		}
		graceMu.Unlock()
	}()

	if cfg.Rate > 0 {
		r.clock.Go(func() { r.openLoop(ctx, reqCtx) })
	} else {
		next := 0
		var nextMu sync.Mutex
		for w := 1; w <= cfg.Concurrency; w++ {
			r.clock.Go(func() {
				for {
					// Items are taken in order, under the lock.
					nextMu.Lock()
					i := next
					next++
					var item Item
					if i < cfg.Work.Len() {
						item = cfg.Work.Item(i)
					}
					nextMu.Unlock()
					if i >= cfg.Work.Len() || !r.mayStart(ctx) {
						return
					}
					r.operation(ctx, reqCtx, w, i, item, r.clock.Now())
				}
			})
		}
	}
	r.clock.Wait()
	cancelReq()
	sum, err := r.finish(ctx.Err() != nil)
	return r, sum, err
}

// writeHeader writes the attempt log's header: the caller's, with the
// workload filled in.
func (r *runner) writeHeader() {
	cfg := &r.cfg
	h := cfg.Header
	h.Schema, h.Type, h.Start = record.Schema, record.TypeHeader, r.start.UTC().Format(time.RFC3339Nano)
	h.Operation, h.Ops, h.Concurrency, h.Rate, h.Seed = cfg.Operation, cfg.Work.Len(), cfg.Concurrency, cfg.Rate, cfg.Seed
	h.MaxAttempts, h.MaxRequests, h.MaxDuration, h.HappyPath = cfg.MaxAttempts, cfg.MaxRequests, int64(cfg.MaxDuration), r.op.HappyPath()
	if cfg.Rate > 0 {
		h.Arrival = "constant"
		if cfg.Poisson {
			h.Arrival = "poisson"
		}
	}
	r.mu.Lock()
	r.out.Header(&h)
	r.mu.Unlock()
}

// finish writes the run's summary, flushes the log and returns the
// summary.
func (r *runner) finish(interrupted bool) (*record.Summary, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sum
	s.Unfinished = s.Ops - s.Succeeded - s.Failed
	if n := s.Unfinished - s.Ended[record.ReasonInterrupted]; n > 0 {
		if s.Ended == nil {
			s.Ended = map[string]int{}
		}
		s.Ended[record.ReasonNotRun] = n
	}
	s.ElapsedNS = int64(r.clock.Now().Sub(r.start))
	s.Interrupted = interrupted
	s.CapReached = r.capHit
	if s.CapReached == "" && s.Ended[record.ReasonWaitPastCap] > 0 {
		// The time cap ended those operations, though not the run.
		s.CapReached = record.ReasonTimeCap
	}
	finishSummary(&s, r.needed)
	r.out.Final(&record.Final{Schema: record.Schema, Type: record.TypeSummary, Summary: s})
	if r.log != nil {
		if err := r.log.Flush(); err != nil {
			return &s, fmt.Errorf("probe: writing the attempt log: %w", err)
		}
	}
	return &s, nil
}

// finishSummary fills in s's rates from its counts.
func finishSummary(s *record.Summary, needed int) {
	if s.Ops > 0 {
		s.SuccessRate = float64(s.Succeeded) / float64(s.Ops)
	}
	if s.Attempts > 0 {
		s.AttemptRate = float64(s.OKAttempts) / float64(s.Attempts)
		s.ThrottleRate = float64(s.Throttled) / float64(s.Attempts)
	}
	if needed > 0 {
		s.Amplify = float64(s.Attempts) / float64(needed)
	}
}

// check validates c and returns its operation.
func (c *Config) check() (api.Operation, error) {
	op, known := api.OperationNamed(c.Operation)
	switch {
	case len(c.Agents) == 0:
		return op, errors.New("probe: no client")
	case !known:
		return op, fmt.Errorf("probe: unknown operation %q", c.Operation)
	case c.Rate <= 0 && c.Concurrency <= 0:
		return op, errors.New("probe: need a concurrency or a rate")
	case c.MaxAttempts <= 0 || c.MaxRequests <= 0 || c.MaxDuration <= 0:
		return op, fmt.Errorf("probe: safety caps must be positive (max attempts %d, max requests %d, max duration %v)", c.MaxAttempts, c.MaxRequests, c.MaxDuration)
	}
	return op, nil
}

// tee passes each record to every visitor in turn.
type tee []record.AttemptVisitor

func (t tee) Header(h *record.Header) {
	for _, v := range t {
		v.Header(h)
	}
}

func (t tee) Attempt(a *record.Attempt) {
	for _, v := range t {
		v.Attempt(a)
	}
}

func (t tee) Operation(o *record.Operation) {
	for _, v := range t {
		v.Operation(o)
	}
}

func (t tee) Final(f *record.Final) {
	for _, v := range t {
		v.Final(f)
	}
}

func (r *runner) ns(t time.Time) int64 { return int64(t.Sub(r.start)) }

// pace waits for ag's turn at its pacer, then until the pacer lets the
// send go (drop: it is to be dropped locally). why is "time-cap" or
// "interrupted" when the send must not happen.
func (r *runner) pace(ctx context.Context, ag *Agent, deadline time.Time) (drop bool, why string, wait time.Duration) {
	if ag.turn.Lock(ctx) != nil {
		return false, "interrupted", 0
	}
	defer ag.turn.Unlock()
	for {
		ag.mu.Lock()
		pace, d := ag.Policy.Pace(r.clock.Now(), ag.Rand)
		ag.mu.Unlock()
		if pace <= 0 {
			return d, "", 0
		}
		if r.clock.Now().Add(pace).After(deadline) {
			return false, record.ReasonWaitPastCap, pace
		}
		if r.clock.Sleep(ctx, pace) != nil {
			return false, "interrupted", 0
		}
	}
}

// mayStart reports whether a new operation may begin.
func (r *runner) mayStart(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.capHit == "" && r.clock.Now().Sub(r.start) < r.cfg.MaxDuration
}

// arrival returns the intended offset of operation i in an open loop.
func (r *runner) arrival(i int, prev time.Duration, rng *rand.Rand) time.Duration {
	c := r.cfg
	if c.RampTo > 0 && c.Ramp > 0 {
		// N(t) = r0·t + (r1−r0)·t²/(2T) up to T, then r1 after.
		r0, r1, T := c.Rate, c.RampTo, c.Ramp.Seconds()
		n := float64(i)
		nT := r0*T + (r1-r0)*T/2
		if n >= nT {
			return time.Duration((T + (n-nT)/r1) * 1e9)
		}
		a := (r1 - r0) / (2 * T)
		if math.Abs(a) < 1e-12 {
			return time.Duration(n / r0 * 1e9)
		}
		t := (-r0 + math.Sqrt(r0*r0+4*a*n)) / (2 * a)
		return time.Duration(t * 1e9)
	}
	if c.Poisson {
		if i == 0 {
			return 0
		}
		return prev + time.Duration(rng.ExpFloat64()/c.Rate*1e9)
	}
	return time.Duration(float64(i) / c.Rate * 1e9)
}

func (r *runner) openLoop(ctx, reqCtx context.Context) {
	rng := rand.New(rand.NewPCG(r.cfg.Seed, 0x6172726976))
	var off time.Duration
	for i := range r.cfg.Work.Len() {
		off = r.arrival(i, off, rng)
		intended := r.start.Add(off)
		if d := intended.Sub(r.clock.Now()); d > 0 {
			if r.clock.Sleep(ctx, d) != nil {
				return
			}
		}
		if !r.mayStart(ctx) {
			return
		}
		item := r.cfg.Work.Item(i)
		r.clock.Go(func() { r.operation(ctx, reqCtx, 0, i, item, intended) })
	}
}

// opState walks an operation's requests.
type opState struct {
	op       *api.Operation
	item     Item
	version  int64
	etag     string
	needRead bool
}

// next returns the route of the operation's next request: its read when
// one is due, else the request that completes it.
func (s *opState) next() api.RouteID {
	if s.needRead {
		return s.op.Read
	}
	return s.op.Do
}

func (s *opState) send(ctx context.Context, c *client.Client, route api.RouteID) (*client.Response, error) {
	id := s.item.User
	switch route {
	case api.UserGet:
		resp, u, err := c.GetUser(ctx, id)
		if u != nil {
			s.version = u.Version
		}
		return resp, err
	case api.UserPatch:
		return c.PatchUser(ctx, id, s.version, s.item.Changes)
	case api.UserPut:
		return c.PutUser(ctx, id, s.item.Changes)
	case api.ScimGet:
		resp, err := c.ScimGet(ctx, id)
		if resp != nil {
			s.etag = resp.ETag
		}
		return resp, err
	case api.ScimPatch:
		return c.ScimUpdate(ctx, id, s.etag, s.item.Changes)
	}
	panic("probe: no client call for " + route.String())
}

// advance moves past a successful request; it reports whether the
// operation is complete.
func (s *opState) advance(route api.RouteID) bool {
	if route != s.op.Do {
		s.needRead = false
		return false
	}
	return true
}

// reserve takes one request from the run's budget.
func (r *runner) reserve() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.requests >= r.cfg.MaxRequests {
		if r.capHit == "" {
			r.capHit = "request-cap"
		}
		return false
	}
	r.requests++
	return true
}

// opRun is one operation in progress: its work item, its requests' state,
// and the counts its records carry.
type opRun struct {
	r          *runner
	ctx        context.Context // ends the operation
	reqCtx     context.Context // carries its requests, with a grace period
	ag         *Agent
	i, worker  int
	intended   time.Time
	deadline   time.Time
	next       time.Time // when the next attempt is due
	st         opState
	pol        strategy.Operation // the strategy's state for this operation
	attempts   int
	steps      int           // attempts that completed a step (decision done)
	paceWait   time.Duration // the pacer's wait that ended it past the deadline
	failures   int
	lastStatus int
	// Each attempt's record in turn, then the operation's: Observe may not
	// keep them, so one allocation serves them all.
	recs struct {
		at record.Attempt
		op record.Operation
	}
}

// operation runs item, work item i, to completion, failure or a cap.
func (r *runner) operation(ctx, reqCtx context.Context, worker, i int, item Item, intended time.Time) {
	o := &opRun{r: r, ctx: ctx, reqCtx: reqCtx, ag: r.cfg.Agents[i%len(r.cfg.Agents)], i: i, worker: worker,
		intended: intended, deadline: r.start.Add(r.cfg.MaxDuration), next: intended}
	o.st = opState{op: &r.op, item: item, version: item.Version,
		needRead: r.op.ReadFirst == api.Always || r.op.ReadFirst == api.WithoutVersion && item.Version == 0}
	o.ag.mu.Lock()
	o.pol = o.ag.Policy.NewOperation()
	o.ag.mu.Unlock()
	for {
		drop, why := o.wait()
		if why == "" {
			why = o.attempt(drop)
		}
		if why != "" {
			o.finish(why == "ok", why)
			return
		}
	}
}

// wait waits until the next attempt is due, then for the pacer's go
// (drop: the pacer drops it locally). why is the reason the operation
// ends instead, or "".
func (o *opRun) wait() (drop bool, why string) {
	r := o.r
	now := r.clock.Now()
	if o.next.After(o.deadline) {
		r.noteCap("time-cap")
		return false, "time-cap"
	}
	if d := o.next.Sub(now); d > 0 {
		if r.clock.Sleep(o.ctx, d) != nil {
			return false, "interrupted"
		}
	}
	// In turn, ask the pacer until it says go: a wait reserves nothing,
	// so a pause decided while this send waited still applies to it.
	var wait time.Duration
	drop, why, wait = r.pace(o.ctx, o.ag, o.deadline)
	if why != "" {
		if why == record.ReasonWaitPastCap {
			// The client's pacer holds every operation of it past the
			// deadline: this one ends with the wait, and the run takes no
			// new work (the time cap).
			o.paceWait = wait
			r.noteCap(record.ReasonTimeCap)
		}
		return false, why
	}
	if o.ctx.Err() != nil {
		return false, "interrupted"
	}
	if o.attempts >= r.cfg.MaxAttempts {
		return false, "attempt-cap"
	}
	return drop, ""
}

// attempt sends (or drops) the next request, asks the strategy what
// next, and records the attempt. It returns the reason the operation
// ends ("ok" when it is complete), or "" to go on.
func (o *opRun) attempt(drop bool) string {
	r := o.r
	route := o.st.next()
	rt := route.Route()
	rec := &o.recs.at
	*rec = record.Attempt{Schema: record.Schema, Type: record.TypeAttempt, Op: o.i + 1, Worker: o.worker, Client: o.ag.Name, Attempt: o.attempts + 1,
		Method: rt.Method, Route: rt.Name(), IntendedNS: r.ns(o.next)}
	var out strategy.Outcome
	var resp *client.Response
	sent := r.clock.Now()
	rec.SentNS = r.ns(sent)
	if drop {
		rec.LocalDrop = true
		out = strategy.Outcome{Retryable: true}
	} else {
		if !r.reserve() {
			return "request-cap"
		}
		var err error
		resp, err = o.st.send(o.reqCtx, o.ag.Client, route)
		if errors.Is(err, client.ErrRequestCap) {
			// The client's budget (a URL target's, which counts logins
			// too) is spent: nothing was sent.
			r.noteCap("request-cap")
			return "request-cap"
		}
		rec.LatencyNS = int64(r.clock.Now().Sub(sent))
		out = classify(resp, err, rec, &o.st, r.clock.Now())
	}
	o.attempts++
	if resp != nil {
		o.lastStatus = resp.Status
	}
	ok2xx := resp != nil && resp.Status >= 200 && resp.Status < 300
	complete := o.decide(route, &out, ok2xx)
	r.mu.Lock()
	r.sum.Attempts++
	if ok2xx {
		r.sum.OKAttempts++
	}
	if out.Throttled {
		r.sum.Throttled++
	}
	if rec.LocalDrop {
		r.sum.LocalDrops++
	}
	r.out.Attempt(rec)
	r.mu.Unlock()
	switch rec.Decision {
	case record.DecisionDone:
		if complete {
			return "ok"
		}
	case record.DecisionFail:
		return fmt.Sprintf("status-%d", rec.Status)
	case record.DecisionStop:
		return "strategy-stop"
	case record.DecisionCap:
		return record.ReasonAttemptCap
	case record.DecisionRetry:
		// The strategy chose a wait that ends past the deadline: end the
		// operation now rather than sleep toward it. When the deadline
		// had already passed, time ran out while it worked (time-cap,
		// from wait).
		// Other operations go on: only this one's wait does not fit (the
		// summary still names the time cap).
		if o.next.After(o.deadline) && !r.clock.Now().After(o.deadline) {
			return record.ReasonWaitPastCap
		}
	}
	return ""
}

// decide asks the strategy about out, sets the attempt's decision and
// when the next attempt is due, and reports whether the operation is
// complete.
func (o *opRun) decide(route api.RouteID, out *strategy.Outcome, ok2xx bool) (complete bool) {
	r, ag, rec := o.r, o.ag, &o.recs.at
	out.Now = r.clock.Now()
	if out.Retryable {
		o.failures++
	}
	out.Attempt = o.failures
	complete = ok2xx && o.st.advance(route)
	out.Complete = complete
	ag.mu.Lock()
	if obs, ok := ag.Policy.(strategy.Observer); ok {
		obs.Observe(*out)
	}
	d := o.pol.After(*out, ag.Rand)
	ag.mu.Unlock()
	switch {
	case ok2xx:
		rec.Decision = record.DecisionDone
		o.next = out.Now
		o.steps++
	case !out.Retryable:
		rec.Decision = record.DecisionFail
	case d.Stop:
		rec.Decision = record.DecisionStop
	case o.attempts >= r.cfg.MaxAttempts:
		rec.Decision = record.DecisionCap
	default:
		rec.Decision = record.DecisionRetry
		rec.WaitNS = int64(d.Wait)
		o.next = out.Now.Add(d.Wait)
	}
	return complete
}

// finish records the operation's end and reports progress.
func (o *opRun) finish(ok bool, reason string) {
	r := o.r
	end := r.clock.Now()
	r.mu.Lock()
	if ok {
		r.sum.Succeeded++
	} else if reason != "interrupted" {
		r.sum.Failed++
	}
	o.recs.op = record.Operation{Schema: record.Schema, Type: record.TypeOperation, Op: o.i + 1, Worker: o.worker, User: o.st.item.User, StartNS: r.ns(o.intended), EndNS: r.ns(end),
		Attempts: o.attempts, OK: ok, Status: o.lastStatus, Reason: reason}
	if reason == record.ReasonWaitPastCap {
		// The wait the strategy asked for after the last attempt, or its
		// pacer's.
		o.recs.op.WaitNS = o.recs.at.WaitNS
		if o.paceWait > 0 {
			o.recs.op.WaitNS = int64(o.paceWait)
		}
		r.pastCap = max(r.pastCap, time.Duration(o.recs.op.WaitNS))
	}
	if r.sum.Ended == nil {
		r.sum.Ended = map[string]int{}
	}
	r.sum.Ended[reason]++
	// The fewest requests that take it as far as it got, as analysis
	// counts them: amplification is the same figure in both.
	r.needed += record.Reached(ok, o.steps, r.op.HappyPath())
	r.out.Operation(&o.recs.op)
	p := Progress{Total: r.sum.Ops, Done: r.sum.Succeeded + r.sum.Failed, OK: r.sum.Succeeded, Failed: r.sum.Failed,
		Attempts: r.sum.Attempts, Throttled: r.sum.Throttled, Elapsed: end.Sub(r.start)}
	r.mu.Unlock()
	if r.cfg.Progress != nil {
		r.cfg.Progress(p)
	}
}

func (r *runner) noteCap(c string) {
	r.mu.Lock()
	if r.capHit == "" {
		r.capHit = c
	}
	r.mu.Unlock()
}

// classify turns a response into the strategy's view and fills the record.
func classify(resp *client.Response, err error, rec *record.Attempt, st *opState, now time.Time) strategy.Outcome {
	if err != nil {
		if errors.Is(err, client.ErrLoginThrottled) {
			rec.Method, rec.Route, rec.Status, rec.ErrorCode = "POST", "POST /oauth/token", http.StatusBadRequest, "invalid_request"
			return strategy.Outcome{Status: http.StatusBadRequest, Retryable: true, Throttled: true}
		}
		rec.Error = err.Error()
		return strategy.Outcome{Retryable: true}
	}
	rec.Status, rec.ErrorCode, rec.CorrelationID, rec.RetryAfter = resp.Status, resp.ErrorCode, resp.CorrelationID, resp.RetryAfter
	o := strategy.Outcome{Status: resp.Status, RetryAfterText: resp.RetryAfter}
	if resp.RetryAfter != "" {
		if d, ok := client.ParseRetryAfter(resp.RetryAfter, now); ok {
			o.RetryAfter, o.HasRetryAfter = d, true
			n := int64(d)
			rec.RetryAfterNS = &n
		}
	}
	switch s := resp.Status; {
	case s == http.StatusTooManyRequests:
		o.Retryable, o.Throttled = true, true
	case s == http.StatusServiceUnavailable:
		o.Retryable, o.Throttled = true, o.HasRetryAfter
	case s >= 500:
		o.Retryable = true
	case s == http.StatusConflict && st.op.RereadOn409:
		o.Retryable = true
		st.needRead = true
	case s == http.StatusUnauthorized:
		o.Retryable = true // the client forgot the token and logs in again
	}
	return o
}
