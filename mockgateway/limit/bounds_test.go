package limit

import (
	"testing"
	"time"
)

// finishes fails the test when f does not return within limit: a loop that
// spins under the model's lock would otherwise hang the whole test binary.
// It is a hang detector, not a performance target (see the benchmarks).
func finishes(t *testing.T, limit time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("did not return within %v", limit)
	}
}

// TestBackgroundCatchUpIsBounded jumps a model with background load at the
// fastest accepted rate ten hours ahead: the catch-up must not iterate per
// arrival (3.6e10 of them), and must still count every arrival.
func TestBackgroundCatchUpIsBounded(t *testing.T) {
	for _, poisson := range []bool{false, true} {
		cfg := Config{
			Buckets:    []Spec{{Name: "b", Algorithm: TokenBucket, Limit: Rate{1e5, time.Second}}},
			Background: []Background{{Bucket: "b", Rate: Rate{1e6, time.Second}, Poisson: poisson}},
			Seed:       1,
		}
		m, err := New(cfg, t0)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := m.Route("r", 1, "b")
		jump := 10 * time.Hour
		var st []BucketStats
		finishes(t, 20*time.Second, func() {
			var d Decision
			m.Decide(t0.Add(jump), r, Request{}, &d)
			st = m.Stats(t0.Add(jump))
		})
		n := float64(st[0].BackgroundAdmitted + st[0].BackgroundRejected)
		if want := 1e6 * jump.Seconds(); n < 0.99*want || n > 1.01*want {
			t.Errorf("poisson %v: %v arrivals in %v at 1e6/s, want about %v", poisson, n, jump, want)
		}
		// The bucket admits 1e5/s of the 1e6/s offered.
		if a, want := float64(st[0].BackgroundAdmitted), 1e5*jump.Seconds(); a < 0.99*want || a > 1.01*want {
			t.Errorf("poisson %v: %v admitted, want about %v", poisson, a, want)
		}
	}
}

// TestTinyBackgroundRateDoesNotSpin: a gap between arrivals too long for a
// time.Duration must not wrap around to a negative step.
func TestTinyBackgroundRateDoesNotSpin(t *testing.T) {
	for _, poisson := range []bool{false, true} {
		cfg := Config{
			Buckets:    []Spec{{Name: "b", Algorithm: FixedWindow, Limit: Rate{10, time.Second}}},
			Background: []Background{{Bucket: "b", Rate: Rate{1e-12, time.Second}, Poisson: poisson}},
		}
		m, err := New(cfg, t0)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := m.Route("r", 1, "b")
		finishes(t, 20*time.Second, func() {
			var d Decision
			m.Decide(t0.Add(time.Hour), r, Request{}, &d)
			if !d.Allowed {
				t.Errorf("poisson %v: refused %+v", poisson, d)
			}
		})
	}
}

// TestTokenBucketWaitDoesNotOverflow: a wait beyond what a time.Duration
// holds is Never, not a wrapped-around negative.
func TestTokenBucketWaitDoesNotOverflow(t *testing.T) {
	m, r := oneBucket(t, Spec{Algorithm: TokenBucket, Limit: Rate{1e-12, time.Second}, Burst: 1})
	var d Decision
	m.Decide(t0, r, Request{}, &d)
	m.Decide(t0, r, Request{}, &d)
	if d.Allowed || d.Wait != Never || d.Buckets[0].Wait != Never {
		t.Errorf("second request at 1e-12/s: allowed %v, wait %v, want refused with Never", d.Allowed, d.Wait)
	}
}

func TestNewRejectsUnboundedWork(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
	}{
		{"background above the maximum rate", Config{
			Buckets:    []Spec{{Name: "a", Limit: Rate{1, time.Second}}},
			Background: []Background{{Bucket: "a", Rate: Rate{2e9, time.Second}}}}},
		{"sliding window holding 2.6e12 requests", Config{
			Buckets: []Spec{{Name: "a", Algorithm: SlidingWindow, Limit: Rate{1e6, time.Second}, Window: 30 * 24 * time.Hour}}}},
	}
	for _, c := range cases {
		if _, err := New(c.cfg, t0); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

// BenchmarkBackgroundJump is the cost of one Decide that jumps an hour
// ahead of Poisson background load at MaxRate (3.6e9 arrivals): bounded by
// catchUp, not by the rate or the jump.
func BenchmarkBackgroundJump(b *testing.B) {
	cfg := Config{
		Buckets:    []Spec{{Name: "b", Algorithm: TokenBucket, Limit: Rate{1e5, time.Second}}},
		Background: []Background{{Bucket: "b", Rate: Rate{MaxRate, time.Second}, Poisson: true}},
	}
	m, err := New(cfg, t0)
	if err != nil {
		b.Fatal(err)
	}
	r, _ := m.Route("r", 1, "b")
	var d Decision
	b.ReportAllocs()
	at := t0
	for b.Loop() {
		at = at.Add(time.Hour)
		m.Decide(at, r, Request{}, &d)
	}
}
