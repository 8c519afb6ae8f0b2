// Package ctxsleep waits on the wall clock for as long as a context lets
// it: the one real-time sleep the clock, the client and the gateway share.
package ctxsleep

import (
	"context"
	"time"
)

// Sleep waits d on a timer, or until ctx ends, and returns ctx's error if
// it ended first. For d <= 0 it returns ctx's error at once.
func Sleep(ctx context.Context, d time.Duration) error {
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
