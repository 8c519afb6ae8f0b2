package probe

import (
	"context"
	"sync"
	"time"
)

// Clock is the runner's only source of time and its only way to wait or
// start work, so the same runner runs on the wall clock and in virtual
// time.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits d, or until ctx ends (returning its error).
	Sleep(ctx context.Context, d time.Duration) error
	// Go starts f as a participant of the run.
	Go(f func())
	// Wait blocks until every f started with Go has returned.
	Wait()
}

// RealClock is the wall clock. The zero value is ready to use; do not copy
// it after use.
type RealClock struct{ wg sync.WaitGroup }

// Now returns time.Now().
func (*RealClock) Now() time.Time { return time.Now() }

// Sleep waits d on a timer, or until ctx ends.
func (*RealClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Go runs f in a new goroutine.
func (c *RealClock) Go(f func()) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
}

// Wait waits for every goroutine started with Go.
func (c *RealClock) Wait() { c.wg.Wait() }
