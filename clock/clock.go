// Package clock is ratelab's one way of reading time and waiting: the wall
// clock (Real) and a deterministic virtual clock (Virtual). The gateway and
// the client take a Clock; runners that start participants take a
// Scheduler. A nil Clock anywhere means the wall clock.
package clock

import (
	"context"
	"sync"
	"time"

	"github.com/ratelab/ratelab/internal/ctxsleep"
)

// Clock is a source of time and a way to wait: all the gateway and the
// client need.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits d, or until ctx ends (returning its error).
	Sleep(ctx context.Context, d time.Duration) error
}

// Scheduler is a Clock that also starts and waits for the participants of
// a run, so the same runner runs on the wall clock and in virtual time.
type Scheduler interface {
	Clock
	// Go starts f as a participant of the run.
	Go(f func())
	// Wait blocks until every f started with Go has returned.
	Wait()
	// NewQueue returns a first-come, first-served lock whose waiting is
	// part of the clock.
	NewQueue() Queue
}

// Queue is a FIFO lock: participants get it in the order they asked.
type Queue interface {
	// Lock waits for the caller's turn. On the wall clock it returns
	// ctx's error, without the lock, when ctx ends first. In virtual time
	// nothing happens between wake-ups, so a waiter is woken only by
	// Unlock and returns nil with the lock; callers check ctx after it.
	Lock(ctx context.Context) error
	// Unlock hands the lock to the longest waiter.
	Unlock()
}

// Real is the wall clock. The zero value is ready to use; do not copy
// it after use. Its Now and Sleep are safe for concurrent use.
type Real struct{ wg sync.WaitGroup }

// Now returns time.Now().
func (*Real) Now() time.Time { return time.Now() }

// Sleep waits d on a timer, or until ctx ends.
func (*Real) Sleep(ctx context.Context, d time.Duration) error { return ctxsleep.Sleep(ctx, d) }

// Go runs f in a new goroutine.
func (c *Real) Go(f func()) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
}

// Wait waits for every goroutine started with Go.
func (c *Real) Wait() { c.wg.Wait() }

// NewQueue returns a FIFO lock for goroutines.
func (*Real) NewQueue() Queue { return &realQueue{} }

type realQueue struct {
	mu      sync.Mutex
	held    bool
	waiters []chan struct{}
}

func (q *realQueue) Lock(ctx context.Context) error {
	q.mu.Lock()
	if !q.held {
		q.held = true
		q.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	q.waiters = append(q.waiters, ch)
	q.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		q.mu.Lock()
		defer q.mu.Unlock()
		for i, w := range q.waiters {
			if w == ch {
				q.waiters = append(q.waiters[:i], q.waiters[i+1:]...)
				return ctx.Err()
			}
		}
		// Handed over as ctx ended: the lock is ours.
		return nil
	}
}

func (q *realQueue) Unlock() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.waiters) == 0 {
		q.held = false
		return
	}
	close(q.waiters[0])
	q.waiters = q.waiters[1:]
}

// Or returns c, or the wall clock when c is nil.
func Or(c Clock) Clock {
	if c == nil {
		return &Real{}
	}
	return c
}
