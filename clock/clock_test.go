package clock

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestVirtualOrder: participants run one at a time in virtual time; time
// jumps to each wake-up, and wake-ups at the same instant run in the order
// they were scheduled. Nothing sleeps in real time.
func TestVirtualOrder(t *testing.T) {
	c := NewVirtual(Epoch)
	var mu sync.Mutex
	var got []string
	note := func(name string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, fmt.Sprintf("%s@%v", name, c.Now().Sub(Epoch)))
	}
	for _, p := range []struct {
		name  string
		sleep []time.Duration
	}{
		{"a", []time.Duration{time.Hour, time.Minute}},
		{"b", []time.Duration{time.Hour}},
		{"c", []time.Duration{0, 30 * time.Minute}},
	} {
		c.Go(func() {
			for _, d := range p.sleep {
				if err := c.Sleep(context.Background(), d); err != nil {
					t.Error(err)
				}
				note(p.name)
			}
		})
	}
	start := time.Now()
	c.Wait()
	want := "c@0s c@30m0s a@1h0m0s b@1h0m0s a@1h1m0s"
	if s := strings.Join(got, " "); s != want {
		t.Fatalf("order %q, want %q", s, want)
	}
	if real := time.Since(start); real > 10*time.Second {
		t.Fatalf("two virtual hours took %v of real time", real)
	}
}

// TestVirtualSleepCancelled: a cancelled participant still wakes in
// virtual time and gets ctx's error.
func TestVirtualSleepCancelled(t *testing.T) {
	c := NewVirtual(Epoch)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var err error
	c.Go(func() { err = c.Sleep(ctx, time.Minute) })
	c.Wait()
	if err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestQueueFIFO: on both clocks the queue hands its lock to waiters in the
// order they asked.
func TestQueueFIFO(t *testing.T) {
	for _, c := range []Scheduler{NewVirtual(Epoch), &Real{}} {
		t.Run(fmt.Sprintf("%T", c), func(t *testing.T) {
			q := c.NewQueue()
			var mu sync.Mutex
			var order []int
			ctx := context.Background()
			if err := q.Lock(ctx); err != nil {
				t.Fatal(err)
			}
			for i := range 5 {
				c.Go(func() {
					// Ask in order i: in virtual time by sleeping i+1 ms,
					// on the wall clock by waiting for i waiters queued.
					_ = c.Sleep(ctx, time.Duration(i+1)*time.Millisecond)
					if rq, ok := q.(*realQueue); ok {
						waitQueued(rq, i)
					}
					if err := q.Lock(ctx); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					order = append(order, i)
					mu.Unlock()
					q.Unlock()
				})
			}
			c.Go(func() {
				_ = c.Sleep(ctx, 50*time.Millisecond)
				if rq, ok := q.(*realQueue); ok {
					waitQueued(rq, 5)
				}
				q.Unlock()
			})
			c.Wait()
			if fmt.Sprint(order) != "[0 1 2 3 4]" {
				t.Fatalf("order %v", order)
			}
		})
	}
}

// waitQueued polls until q has n waiters.
func waitQueued(q *realQueue, n int) {
	for {
		q.mu.Lock()
		k := len(q.waiters)
		q.mu.Unlock()
		if k >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// TestRealQueueCancel: a waiter whose ctx ends leaves the queue without
// the lock, and the lock still reaches the next waiter.
func TestRealQueueCancel(t *testing.T) {
	c := &Real{}
	q := c.NewQueue()
	bg := context.Background()
	if err := q.Lock(bg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bg, 10*time.Millisecond)
	defer cancel()
	if err := q.Lock(ctx); err != context.DeadlineExceeded {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	got := make(chan struct{})
	go func() {
		if q.Lock(bg) == nil {
			close(got)
		}
	}()
	waitQueued(q.(*realQueue), 1)
	q.Unlock()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the lock never reached the next waiter")
	}
}

// TestOr: a nil Clock means the wall clock.
func TestOr(t *testing.T) {
	if _, ok := Or(nil).(*Real); !ok {
		t.Fatal("Or(nil) is not the wall clock")
	}
	v := NewVirtual(Epoch)
	if Or(v) != v {
		t.Fatal("Or(v) is not v")
	}
}
