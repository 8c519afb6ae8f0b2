package strategy

import (
	"math/rand/v2"
	"testing"
	"time"
)

// conflict is the n-th failure of an update-user: its PATCH answered 409.
func conflict(n int, at time.Time) Outcome {
	return Outcome{Now: at, Attempt: n, Status: 409, Retryable: true}
}

// reread is the GET that follows a 409: a success that does not complete
// the operation.
func reread(n int, at time.Time) Outcome { return Outcome{Now: at, Attempt: n, Status: 200} }

// runOp plays an update-user that loses the race k times on pol: GET,
// then k × (PATCH 409, GET), each outcome observed as the runner does.
// It returns the waits decided.
func runOp(pol Policy, op Operation, k int, at time.Time, rng *rand.Rand) []Decision {
	var ds []Decision
	step := func(o Outcome) {
		if obs, ok := pol.(Observer); ok {
			obs.Observe(o)
		}
		ds = append(ds, op.After(o, rng))
	}
	step(reread(0, at))
	for n := 1; n <= k; n++ {
		at = at.Add(time.Duration(n) * 10 * time.Millisecond)
		step(conflict(n, at))
		step(reread(n, at))
	}
	return ds
}

// TestStateLivesWhereItShould pins, for every strategy, which state it
// keeps per operation and which per client: worker A's operation is
// throttled five times in a row, then worker B's operation (same client)
// loses the race three times. B's waits must be those of an operation on a fresh client
// unless the strategy shares what decides them (its Info's PerClient
// says so), and a strategy states per-client state exactly when it has
// some.
func TestStateLivesWhereItShould(t *testing.T) {
	cases := []struct {
		name string
		p    Params
		// shared: A's retries change B's decisions (a per-client budget or
		// quota). client: the strategy keeps per-client state at all.
		shared, client bool
	}{
		{"none", nil, false, false},
		{"naive", nil, false, false},
		{"fixed", nil, false, false},
		{"exponential", nil, false, false},
		{"full-jitter", nil, false, false},
		{"equal-jitter", nil, false, false},
		{"decorrelated-jitter", nil, false, false},
		{"retry-after", nil, false, false},
		{"token-bucket", nil, false, true},
		{"retry-budget", Params{"ratio": "0", "min_per_second": "0.5"}, true, true},
		{"aws-standard", nil, false, true},
		{"aws-standard", Params{"quota": "12", "max_attempts": "10"}, true, true},
		{"aws-adaptive", nil, false, true},
		{"sre-throttle", nil, false, true},
		{"adaptive", nil, false, true},
		{"sdk-go", nil, false, false},
		{"sdk-python", nil, false, false},
		{"sdk-dotnet", nil, false, false},
		{"sdk-java", nil, false, false},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			info, _ := Lookup(c.name)
			if got := info.PerClient != ""; got != c.client {
				t.Errorf("Info.PerClient = %q, want per-client state %v", info.PerClient, c.client)
			}
			shared := mustNew(t, c.name, c.p)
			a, rngA := shared.NewOperation(), rand.New(rand.NewPCG(1, 1))
			for n := 1; n <= 5; n++ {
				o := throttled(n, 0, false)
				o.Now = t0.Add(time.Duration(n) * ms(10))
				runOpOutcomeOn(shared, a, o, rngA)
			}
			b := runOp(shared, shared.NewOperation(), 3, t0.Add(time.Second), rand.New(rand.NewPCG(2, 2)))
			fresh := mustNew(t, c.name, c.p)
			want := runOp(fresh, fresh.NewOperation(), 3, t0.Add(time.Second), rand.New(rand.NewPCG(2, 2)))
			same := len(b) == len(want)
			for i := range b {
				same = same && b[i] == want[i]
			}
			if same == c.shared {
				t.Errorf("worker B's decisions %v, on a fresh client %v: shared %v, want %v", b, want, !same, c.shared)
			}
		})
	}
	for _, n := range Names() {
		if !seen[n] {
			t.Errorf("%s: no case pins where it keeps its state", n)
		}
	}
}

// TestDecorrelatedGrowsAcrossRereads: inside one update-user, the re-read
// after each 409 succeeds, yet decorrelated jitter's sleep keeps growing
// from its last value instead of falling back to base.
func TestDecorrelatedGrowsAcrossRereads(t *testing.T) {
	pol := mustNew(t, "decorrelated-jitter", Params{"base": "5ms", "cap": "2s"})
	ds := runOp(pol, pol.NewOperation(), 12, t0, rand.New(rand.NewPCG(4, 4)))
	var waits []time.Duration
	for _, d := range ds {
		if !d.Stop {
			waits = append(waits, d.Wait)
		}
	}
	if len(waits) != 12 {
		t.Fatalf("%d retries of 12 conflicts: %v", len(waits), ds)
	}
	// Reset to base at every re-read would keep every wait within 3·base.
	if longest := waits[len(waits)-1]; longest < ms(100) {
		t.Fatalf("after 12 conflicts the wait is %v; waits %v never grew", longest, waits)
	}
}

// TestSharedPacersLearnFromOtherWorkers: a 429 seen by worker A's
// operation holds worker B's next send on the same client, and only there.
func TestSharedPacersLearnFromOtherWorkers(t *testing.T) {
	for _, name := range []string{"token-bucket", "aws-adaptive", "adaptive"} {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 5))
			pol, other := mustNew(t, name, nil), mustNew(t, name, nil)
			now := t0
			for i := 0; i < 40; i++ {
				now = now.Add(ms(100))
				for _, p := range []Policy{pol, other} {
					p.Pace(now, rng)
					runOpOutcome(p, Outcome{Now: now, Status: 200, Complete: true}, rng)
				}
			}
			o := throttled(1, 0, true)
			o.Now = now
			pol.Pace(now, rng)
			runOpOutcome(pol, o, rng)
			var held, free time.Duration
			for i := 0; i < 20 && held == 0; i++ {
				held, _ = pol.Pace(now, rng)
				free, _ = other.Pace(now, rng)
			}
			if held <= 0 || free > held {
				t.Fatalf("after worker A's 429 worker B waits %v; on another client %v", held, free)
			}
		})
	}
}

// runOpOutcome tells a new operation of pol about o, as the runner does.
func runOpOutcome(pol Policy, o Outcome, rng *rand.Rand) {
	runOpOutcomeOn(pol, pol.NewOperation(), o, rng)
}

// runOpOutcomeOn tells pol's observer, then op, about o.
func runOpOutcomeOn(pol Policy, op Operation, o Outcome, rng *rand.Rand) {
	if obs, ok := pol.(Observer); ok {
		obs.Observe(o)
	}
	op.After(o, rng)
}
