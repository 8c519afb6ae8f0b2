package clock

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Epoch is where virtual time starts, so virtual runs are
// byte-identical for a seed.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Virtual runs participants one at a time in virtual time: Sleep
// blocks a participant until the clock reaches its wake-up time, and time
// jumps straight to the next wake-up whenever every participant is
// sleeping. Wake-ups at the same instant run in the order they were
// scheduled, so a run is deterministic as long as participants block only
// through the clock. Nothing sleeps in real time.
//
// Participants must not block on anything else that another participant
// releases (channels, sync.WaitGroup); brief mutexes are fine.
type Virtual struct {
	mu    sync.Mutex
	start time.Time
	now   atomic.Int64 // nanoseconds since start; written under mu, read by Now without it
	seq   uint64
	queue wakeHeap
	done  chan struct{} // the last participant finished
}

// job is a participant handed to a worker: f runs once w, on c, is woken.
type job struct {
	c *Virtual
	f func()
	w *wake
}

// NewVirtual returns a clock at start.
func NewVirtual(start time.Time) *Virtual {
	return &Virtual{start: start, done: make(chan struct{}, 1)}
}

type wake struct {
	at  int64 // nanoseconds since the clock's start
	seq uint64
	ch  chan struct{}
}

// wakePool recycles wake-ups with their (drained) channels.
var wakePool = sync.Pool{New: func() any { return &wake{ch: make(chan struct{}, 1)} }}

// wakeHeap is a binary min-heap of wake-ups by time, then order of
// scheduling.
type wakeHeap []*wake

func (h wakeHeap) less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}

func (h *wakeHeap) push(w *wake) {
	*h = append(*h, w)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (h *wakeHeap) pop() *wake {
	q := *h
	n := len(q) - 1
	w := q[0]
	q[0] = q[n]
	q[n] = nil
	q = q[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q.less(r, l) {
			m = r
		}
		if !q.less(m, i) {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return w
}

// Now returns the virtual time.
func (c *Virtual) Now() time.Time {
	return c.start.Add(time.Duration(c.now.Load()))
}

// pushLocked queues a fresh wake-up at at.
func (c *Virtual) pushLocked(at int64) *wake {
	return c.requeueLocked(wakePool.Get().(*wake), at)
}

// requeueLocked queues w at at, after every wake-up already due then.
func (c *Virtual) requeueLocked(w *wake, at int64) *wake {
	c.seq++
	w.at, w.seq = at, c.seq
	c.queue.push(w)
	return w
}

// popLocked takes the earliest wake-up and moves time to it.
func (c *Virtual) popLocked() *wake {
	w := c.queue.pop()
	if w.at > c.now.Load() {
		c.now.Store(w.at)
	}
	return w
}

// Sleep suspends the calling participant for d of virtual time and passes
// the baton to the earliest wake-up (which may be its own: then it simply
// carries on). It returns ctx's error, if any, when it wakes: a cancelled
// virtual run winds down in virtual time instead of racing the scheduler.
func (c *Virtual) Sleep(ctx context.Context, d time.Duration) error {
	if d < 0 {
		d = 0
	}
	c.mu.Lock()
	w := c.pushLocked(c.now.Load() + int64(d))
	next := c.popLocked()
	c.mu.Unlock()
	if next != w {
		next.ch <- struct{}{}
		<-w.ch
	}
	wakePool.Put(w)
	return ctx.Err()
}

// Go schedules f as a new participant at the current virtual time; it
// runs when the baton reaches it. Participants run on reused worker
// goroutines, whose stacks have already grown to what the client and
// gateway need: growing a fresh stack per operation cost a seventh of a
// virtual run.
func (c *Virtual) Go(f func()) {
	c.mu.Lock()
	j := job{c, f, c.pushLocked(c.now.Load())}
	c.mu.Unlock()
	workers.mu.Lock()
	var ch chan job
	if n := len(workers.idle); n > 0 {
		ch = workers.idle[n-1]
		workers.idle = workers.idle[:n-1]
	}
	workers.mu.Unlock()
	if ch != nil {
		ch <- j
		return
	}
	ch = make(chan job, 1)
	go func() {
		growStack(cap(ch))
		worker(ch, j)
	}()
}

// stackGrowth is what growStack reserves: about what a participant's
// deepest call (client, net/http, gateway, JSON encoder) needs.
const stackGrowth = 16 << 10

// growStack grows a new worker's stack at once, while it is one frame
// deep: growing it later, forty frames down inside the JSON encoder,
// costs a walk of every frame, and for runs with thousands of waiting
// operations that walk took a quarter of the time.
//
//go:noinline
func growStack(i int) byte {
	var buf [stackGrowth]byte // the prologue grows the stack to hold it
	buf[i%stackGrowth] = 1
	return buf[(i*7)%stackGrowth]
}

// workers holds idle participant goroutines for every virtual clock in the
// process (compare runs many clocks, one after another on each core).
var workers struct {
	mu   sync.Mutex
	idle []chan job
}

// maxIdleWorkers bounds the idle goroutines kept; beyond it a worker ends
// when its participant does.
const maxIdleWorkers = 512

// stackFloor is stack a worker keeps in use for as long as it lives: the
// garbage collector halves a stack less than a quarter used, and a
// participant parked shallow (pacing, backing off) would lose the stack
// its next request needs and copy it back, forty frames down inside the
// JSON encoder — several percent of a comparison.
const stackFloor = 8 << 10

// worker runs participants, of any clock, one after another.
func worker(ch chan job, j job) {
	var floor [stackFloor]byte // in the frame, under every participant
	defer holdStack(floor[:])
	for {
		<-j.w.ch
		wakePool.Put(j.w)
		j.f()
		// Idle before the baton moves on: the next participant may reuse
		// this goroutine at once.
		workers.mu.Lock()
		keep := len(workers.idle) < maxIdleWorkers
		if keep {
			workers.idle = append(workers.idle, ch)
		}
		workers.mu.Unlock()
		j.c.mu.Lock()
		j.c.passLocked()
		if !keep {
			return
		}
		j = <-ch
	}
}

// holdStack keeps a worker's floor in its frame.
//
//go:noinline
func holdStack(b []byte) { b[0]++ }

// passLocked passes the baton on from a finished participant and unlocks.
func (c *Virtual) passLocked() {
	// Only the baton holder runs, so an empty queue means no one is left.
	if len(c.queue) == 0 {
		c.mu.Unlock()
		c.done <- struct{}{}
		return
	}
	next := c.popLocked()
	c.mu.Unlock()
	next.ch <- struct{}{}
}

// Wait starts the participants and blocks until every one has finished.
// Call it from outside the participants, once per batch of Go calls.
func (c *Virtual) Wait() {
	c.mu.Lock()
	if len(c.queue) == 0 {
		c.mu.Unlock()
		return
	}
	next := c.popLocked()
	c.mu.Unlock()
	next.ch <- struct{}{}
	<-c.done
}

// NewQueue returns a FIFO lock in virtual time: a waiter leaves the run
// until the holder hands it the lock, then resumes at that instant.
func (c *Virtual) NewQueue() Queue { return &virtualQueue{c: c} }

type virtualQueue struct {
	c       *Virtual
	held    bool // guarded by c.mu, as is waiters
	waiters []*wake
}

func (q *virtualQueue) Lock(ctx context.Context) error {
	c := q.c
	c.mu.Lock()
	if !q.held {
		q.held = true
		c.mu.Unlock()
		return nil
	}
	w := wakePool.Get().(*wake)
	q.waiters = append(q.waiters, w)
	if len(c.queue) == 0 {
		// The holder may only sleep on the clock while it holds the lock.
		panic("clock: virtual queue: the lock's holder is not on the clock")
	}
	next := c.popLocked()
	c.mu.Unlock()
	next.ch <- struct{}{}
	<-w.ch
	wakePool.Put(w)
	return nil
}

func (q *virtualQueue) Unlock() {
	c := q.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(q.waiters) == 0 {
		q.held = false
		return
	}
	w := q.waiters[0]
	q.waiters = q.waiters[1:]
	c.requeueLocked(w, c.now.Load())
}
