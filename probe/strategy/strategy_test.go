package strategy

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func mustNew(t *testing.T, name string, p Params) Policy {
	t.Helper()
	pol, err := New(name, p)
	if err != nil {
		t.Fatal(err)
	}
	return pol
}

// after asks a new operation of pol about o: one decision of an operation
// that has seen nothing else.
func after(pol Policy, o Outcome, rng *rand.Rand) Decision { return pol.NewOperation().After(o, rng) }

// observe tells pol's observer about o, as the runner does, then asks a
// new operation.
func observe(pol Policy, o Outcome, rng *rand.Rand) Decision {
	if obs, ok := pol.(Observer); ok {
		obs.Observe(o)
	}
	return after(pol, o, rng)
}

func throttled(n int, ra time.Duration, has bool) Outcome {
	return Outcome{Now: t0, Attempt: n, Status: 429, RetryAfter: ra, HasRetryAfter: has, Retryable: true, Throttled: true}
}

func TestDeterministicFormulas(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	cases := []struct {
		name string
		p    Params
		o    Outcome
		want Decision
	}{
		{"none", nil, throttled(1, 0, true), Decision{Stop: true}},
		{"naive", nil, throttled(1, 0, true), Decision{Wait: 0}},
		{"naive", nil, throttled(3, 30*time.Second, true), Decision{Wait: 30 * time.Second}},
		{"naive", nil, throttled(1, 0, false), Decision{Wait: 5 * time.Second}},
		{"fixed", Params{"delay": "250ms"}, throttled(7, 0, true), Decision{Wait: ms(250)}},
		{"exponential", nil, throttled(1, 0, false), Decision{Wait: ms(200)}},
		{"exponential", nil, throttled(3, 0, false), Decision{Wait: ms(800)}},
		{"exponential", Params{"cap": "1s"}, throttled(10, 0, false), Decision{Wait: time.Second}},
		{"exponential", nil, throttled(200, 0, false), Decision{Wait: 30 * time.Second}},
		{"retry-after", Params{"jitter": "0"}, throttled(1, 3*time.Second, true), Decision{Wait: 3 * time.Second}},
		{"retry-after", Params{"jitter": "0", "cap": "10s"}, throttled(1, 42*time.Second, true), Decision{Wait: 10 * time.Second}},
		{"retry-after", Params{"jitter": "0", "floor": "1s"}, throttled(1, ms(10), true), Decision{Wait: time.Second}},
	}
	for _, c := range cases {
		got := after(mustNew(t, c.name, c.p), c.o, rng)
		if got != c.want {
			t.Errorf("%s %v after attempt %d (RA %v): %+v, want %+v", c.name, c.p, c.o.Attempt, c.o.RetryAfter, got, c.want)
		}
	}
}

// TestJitterShapes checks the jittered distributions with fixed seeds and
// explicit bounds.
func TestJitterShapes(t *testing.T) {
	const n = 20000
	sample := func(name string, attempt int) (lo, hi, mean time.Duration) {
		pol := mustNew(t, name, Params{"base": "100ms", "cap": "30s"}).NewOperation()
		rng := rand.New(rand.NewPCG(7, 7))
		lo, hi = time.Hour, 0
		var sum time.Duration
		for i := 0; i < n; i++ {
			w := pol.After(throttled(attempt, 0, false), rng).Wait
			lo, hi, sum = min(lo, w), max(hi, w), sum+w
		}
		return lo, hi, sum / n
	}
	// full-jitter at n=3: U(0, 800ms): mean 400ms, sd of the mean ~1.6ms.
	lo, hi, mean := sample("full-jitter", 3)
	if lo < 0 || hi > ms(800) || mean < ms(390) || mean > ms(410) || lo > ms(5) || hi < ms(795) {
		t.Errorf("full-jitter: [%v, %v] mean %v", lo, hi, mean)
	}
	// equal-jitter at n=3: 400ms + U(0, 400ms): mean 600ms.
	lo, hi, mean = sample("equal-jitter", 3)
	if lo < ms(400) || hi > ms(800) || mean < ms(595) || mean > ms(605) {
		t.Errorf("equal-jitter: [%v, %v] mean %v", lo, hi, mean)
	}
	// decorrelated: always within [base, cap].
	lo, hi, _ = sample("decorrelated-jitter", 1)
	if lo < ms(100) || hi > 30*time.Second {
		t.Errorf("decorrelated: [%v, %v]", lo, hi)
	}
}

func TestDecorrelatedGrowsFromLastSleep(t *testing.T) {
	pol := mustNew(t, "decorrelated-jitter", Params{"base": "100ms", "cap": "10s"})
	op := pol.NewOperation()
	rng := rand.New(rand.NewPCG(3, 3))
	prev := ms(100)
	for i := 1; i < 50; i++ {
		w := op.After(throttled(i, 0, false), rng).Wait
		if w < ms(100) || w > min(3*prev, 10*time.Second) {
			t.Fatalf("step %d: %v not in [100ms, 3·%v]", i, w, prev)
		}
		prev = w
	}
	op.After(Outcome{Now: t0, Status: 200, Complete: true}, rng) // the operation is done
	if w := pol.NewOperation().After(throttled(1, 0, false), rng).Wait; w > ms(300) {
		t.Fatalf("a new operation's first wait: %v > 3·base", w)
	}
}

func TestRetryBudget(t *testing.T) {
	pol := mustNew(t, "retry-budget", Params{"ratio": "0.1", "min_per_second": "0"})
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100; i++ {
		pol.Pace(t0, rng)
	}
	allowed := 0
	for i := 0; i < 50; i++ {
		if !after(pol, throttled(1, 0, false), rng).Stop {
			allowed++
		}
	}
	if allowed != 10 {
		t.Fatalf("budget 0.1 of 100 requests allowed %d retries", allowed)
	}
}

func TestAWSStandardQuotaAndAttempts(t *testing.T) {
	pol := mustNew(t, "aws-standard", Params{"quota": "12"})
	rng := rand.New(rand.NewPCG(1, 2))
	if d := after(pol, throttled(3, 0, false), rng); !d.Stop {
		t.Fatal("retried past max_attempts 3")
	}
	ok := 0
	for i := 0; i < 5; i++ {
		if d := after(pol, throttled(1, 0, false), rng); !d.Stop {
			ok++
			if d.Wait > time.Second {
				t.Fatalf("first retry waited %v > base 1s", d.Wait)
			}
		}
	}
	if ok != 2 {
		t.Fatalf("quota 12 at cost 5 allowed %d retries, want 2", ok)
	}
}

func TestSREThrottleDropsWhenBackendRefuses(t *testing.T) {
	pol := mustNew(t, "sre-throttle", nil)
	rng := rand.New(rand.NewPCG(1, 2))
	drops := 0
	now := t0
	for i := 0; i < 1000; i++ {
		now = now.Add(ms(10))
		_, drop := pol.Pace(now, rng)
		if drop {
			drops++
			continue
		}
		observe(pol, Outcome{Now: now, Attempt: 1, Status: 429, Retryable: true, Throttled: true}, rng)
	}
	// With no accepts p -> req/(req+1): nearly everything is dropped.
	if drops < 900 {
		t.Fatalf("only %d of 1000 dropped with every request refused", drops)
	}
}

func TestAdaptivePacesAfterThrottling(t *testing.T) {
	pol := mustNew(t, "adaptive", nil)
	rng := rand.New(rand.NewPCG(1, 2))
	now := t0
	// 20 req/s admitted for 10 s, then a 429 with a lying Retry-After: 0.
	for i := 0; i < 200; i++ {
		now = now.Add(ms(50))
		if w, _ := pol.Pace(now, rng); w != 0 {
			t.Fatalf("paced before any 429: %v", w)
		}
		observe(pol, Outcome{Now: now, Attempt: 1, Status: 200}, rng)
	}
	o429 := throttled(1, 0, true)
	o429.Now = now
	d := observe(pol, o429, rng)
	if d.Stop {
		t.Fatal("adaptive gave up")
	}
	// A zero hint is unknown: the client pauses for one pace interval.
	pause, _ := pol.Pace(now, rng)
	if pause <= 0 {
		t.Fatal("no pause after a 429 with Retry-After: 0")
	}
	at := now.Add(pause)
	if w, _ := pol.Pace(at, rng); w != 0 {
		t.Fatalf("still held after the pause: %v", w)
	}
	// Learned rate about 20/s·0.75 = 15/s (the admitted rate is counted
	// in whole seconds): the next send waits about 67 ms.
	if gap, _ := pol.Pace(at, rng); gap < ms(60) || gap > ms(78) {
		t.Fatalf("pace gap %v, want ~67ms", gap)
	}
	o := throttled(1, 5*time.Second, true)
	o.Now = now
	observe(pol, o, rng)
	if w, _ := pol.Pace(now, rng); w < 5*time.Second {
		t.Fatalf("a 5s Retry-After did not pause the client: %v", w)
	}
}

func TestRegistry(t *testing.T) {
	names := Names()
	if len(names) != 18 || names[0] != "none" || names[13] != "adaptive" || names[17] != "sdk-java" {
		t.Fatalf("Names() = %v", names)
	}
	for _, in := range Infos() {
		if in.Summary == "" || in.Formula == "" || in.Source == "" {
			t.Errorf("%s lacks a summary, formula or source", in.Name)
		}
		if _, err := New(in.Name, nil); err != nil {
			t.Errorf("%s with defaults: %v", in.Name, err)
		}
	}
	for _, bad := range []struct {
		name string
		p    Params
		want string
	}{
		{"nope", nil, `unknown strategy "nope" (valid: none, naive`},
		{"full-jitter", Params{"bsae": "1s"}, `full-jitter has no parameter "bsae" (valid: base, cap)`},
		{"full-jitter", Params{"base": "10"}, `full-jitter.base: "10" is not a non-negative duration`},
		{"none", Params{"x": "1"}, "none takes no parameters"},
		{"token-bucket", Params{"rate": "fast"}, `token-bucket.rate: "fast" is not a positive rate`},
	} {
		if _, err := New(bad.name, bad.p); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("New(%s, %v) = %v, want %q", bad.name, bad.p, err, bad.want)
		}
	}
}

// TestAdaptiveCubicClimb: after a cut the rate climbs back along a cubic:
// r_max·decrease at the cut, close to r_max (and flat) around recover,
// then beyond it.
func TestAdaptiveCubicClimb(t *testing.T) {
	a := mustNew(t, "adaptive", nil).(*adaptive)
	a.rMax, a.lastCut = 10, t0
	at := func(s float64) float64 { return a.cubic(t0.Add(time.Duration(s * float64(time.Second)))) }
	if r := at(0); math.Abs(r-7.5) > 1e-9 {
		t.Fatalf("at the cut %v, want 7.5", r)
	}
	if r := at(2); r < 9.5 || r > 10 {
		t.Fatalf("halfway %v, want within 5%% of r_max", r)
	}
	if r := at(4); math.Abs(r-10) > 1e-9 {
		t.Fatalf("at recover %v, want r_max", r)
	}
	if r3, r2 := at(3)-at(2), at(2)-at(1); r3 >= r2 {
		t.Fatalf("the climb is not concave below r_max: steps %v then %v", r2, r3)
	}
	if r := at(14); r < 10*(1.02*1.02+0.4) {
		t.Fatalf("10 s past recover %v, want at least r_max·(1.02^10 + 0.4)", r)
	}
}

// TestAdaptiveSteadyLimitSlowsProbing: 429s that keep coming at the same
// rate double the time the climb back takes; one at another rate resets it.
func TestAdaptiveSteadyLimitSlowsProbing(t *testing.T) {
	pol := mustNew(t, "adaptive", nil)
	a := pol.(*adaptive)
	rng := rand.New(rand.NewPCG(1, 2))
	now := t0
	for i := 0; i < 100; i++ {
		now = now.Add(ms(100))
		observe(pol, Outcome{Now: now, Attempt: 1, Status: 200}, rng)
	}
	cut := func(r float64) {
		// Three seconds of sends at r, then a 429.
		gap := time.Duration(float64(time.Second) / r)
		for end := now.Add(3 * time.Second); now.Before(end); {
			now = now.Add(gap)
			observe(pol, Outcome{Now: now, Attempt: 1, Status: 200}, rng)
		}
		a.r = r
		o := throttled(1, 0, true)
		o.Now = now
		observe(pol, o, rng)
		a.streak = 0
	}
	cut(10)
	cut(10)
	cut(10)
	cut(10.1)
	if a.k != 8*a.recover {
		t.Fatalf("after four 429s at the same rate the climb takes %v, want %v", a.k, 8*a.recover)
	}
	cut(5)
	if a.k != a.recover {
		t.Fatalf("a 429 at half the rate left the climb at %v, want %v", a.k, a.recover)
	}
}
