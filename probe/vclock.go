package probe

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// VirtualEpoch is where virtual time starts, so virtual runs are
// byte-identical for a seed.
var VirtualEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// VirtualClock runs participants one at a time in virtual time: Sleep
// blocks a participant until the clock reaches its wake-up time, and time
// jumps straight to the next wake-up whenever every participant is
// sleeping. Wake-ups at the same instant run in the order they were
// scheduled, so a run is deterministic as long as participants block only
// through the clock. Nothing sleeps in real time.
//
// Participants must not block on anything else that another participant
// releases (channels, sync.WaitGroup); brief mutexes are fine.
type VirtualClock struct {
	mu    sync.Mutex
	now   time.Time
	seq   uint64
	queue wakeHeap
	done  chan struct{} // the last participant finished
	idle  []chan job    // workers waiting for a participant to run
}

// job is a participant handed to a worker: f runs once w is woken.
type job struct {
	f func()
	w *wake
}

// NewVirtualClock returns a clock at start.
func NewVirtualClock(start time.Time) *VirtualClock {
	return &VirtualClock{now: start, done: make(chan struct{}, 1)}
}

type wake struct {
	at  time.Time
	seq uint64
	ch  chan struct{}
}

// wakePool recycles wake-ups with their (drained) channels.
var wakePool sync.Pool

type wakeHeap []*wake

func (h wakeHeap) Len() int { return len(h) }
func (h wakeHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h wakeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *wakeHeap) Push(x any)   { *h = append(*h, x.(*wake)) }
func (h *wakeHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	*h = old[:len(old)-1]
	return w
}

// Now returns the virtual time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// pushLocked queues a wake-up at at.
func (c *VirtualClock) pushLocked(at time.Time) *wake {
	c.seq++
	w, _ := wakePool.Get().(*wake)
	if w == nil {
		w = &wake{ch: make(chan struct{}, 1)}
	}
	w.at, w.seq = at, c.seq
	heap.Push(&c.queue, w)
	return w
}

// popLocked takes the earliest wake-up and moves time to it.
func (c *VirtualClock) popLocked() *wake {
	w := heap.Pop(&c.queue).(*wake)
	if w.at.After(c.now) {
		c.now = w.at
	}
	return w
}

// Sleep suspends the calling participant for d of virtual time and passes
// the baton to the earliest wake-up (which may be its own: then it simply
// carries on). It returns ctx's error, if any, when it wakes: a cancelled
// virtual run winds down in virtual time instead of racing the scheduler.
func (c *VirtualClock) Sleep(ctx context.Context, d time.Duration) error {
	if d < 0 {
		d = 0
	}
	c.mu.Lock()
	w := c.pushLocked(c.now.Add(d))
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
func (c *VirtualClock) Go(f func()) {
	c.mu.Lock()
	j := job{f, c.pushLocked(c.now)}
	var ch chan job
	if n := len(c.idle); n > 0 {
		ch = c.idle[n-1]
		c.idle = c.idle[:n-1]
	}
	c.mu.Unlock()
	if ch != nil {
		ch <- j
		return
	}
	ch = make(chan job, 1)
	go c.worker(ch, j)
}

// worker runs participants until Wait retires it.
func (c *VirtualClock) worker(ch chan job, j job) {
	for ok := true; ok; j, ok = <-ch {
		<-j.w.ch
		wakePool.Put(j.w)
		j.f()
		c.mu.Lock()
		c.idle = append(c.idle, ch)
		c.passLocked()
	}
}

// passLocked passes the baton on from a finished participant and unlocks.
func (c *VirtualClock) passLocked() {
	// Only the baton holder runs, so an empty queue means no one is left.
	if c.queue.Len() == 0 {
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
func (c *VirtualClock) Wait() {
	c.mu.Lock()
	if c.queue.Len() == 0 {
		c.mu.Unlock()
		return
	}
	next := c.popLocked()
	c.mu.Unlock()
	next.ch <- struct{}{}
	<-c.done
	c.mu.Lock()
	for _, ch := range c.idle {
		close(ch)
	}
	c.idle = nil
	c.mu.Unlock()
}
