package compare

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/scenarios"
)

func embedded(t testing.TB, name string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Embedded(name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func variants(sc *scenarios.Scenario, names ...string) []Variant {
	var vs []Variant
	for _, n := range names {
		vs = append(vs, NamedVariant(sc, n))
	}
	return vs
}

func TestCompareIsDeterministic(t *testing.T) {
	sc := embedded(t, "seed-eu-identity")
	run := func() []byte {
		res, err := Run(context.Background(), Options{Scenario: sc, Variants: variants(sc, "naive", "full-jitter", "adaptive"), Seeds: 2})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		res.Write(&buf, "json")
		return buf.Bytes()
	}
	a, b := run(), run()
	if !bytes.Equal(a, b) {
		t.Fatal("the same comparison gave different results")
	}
	if !bytes.Contains(a, []byte(`"winner": "adaptive"`)) {
		t.Fatalf("adaptive should win among naive, full-jitter and adaptive:\n%s", a)
	}
}

// TestContentionClassicResult: fifty writers update one user at once; plain
// exponential backoff keeps them in step, so they collide round after
// round, while jitter spreads them out and does far less work.
func TestContentionClassicResult(t *testing.T) {
	sc := embedded(t, "contention")
	res, err := Run(context.Background(), Options{Scenario: sc, Variants: variants(sc, "exponential", "full-jitter", "equal-jitter", "decorrelated-jitter"), Seeds: 2})
	if err != nil {
		t.Fatal(err)
	}
	amp := map[string]float64{}
	p99 := map[string]float64{}
	for _, r := range res.Rows {
		amp[r.Name], p99[r.Name] = r.Amplification.Mean, r.LatencyP99.Mean
	}
	for _, j := range []string{"full-jitter", "equal-jitter", "decorrelated-jitter"} {
		if amp["exponential"] < 2*amp[j] || p99["exponential"] < 3*p99[j] {
			t.Errorf("exponential amplification %.2f (p99 %.1fs) vs %s %.2f (p99 %.1fs): jitter should do far less work",
				amp["exponential"], p99["exponential"], j, amp[j], p99[j])
		}
	}
	if res.Limited {
		t.Error("contention is about conflicts, not rate limits")
	}
}

// TestFaithfulRealVsVirtual runs a time-compressed scenario both on the
// wall clock over loopback and in virtual time: success rates agree within
// 2 points and amplification within 10%.
func TestFaithfulRealVsVirtual(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time runs")
	}
	src, _ := scenarios.Source("seed-eu-identity")
	sc, err := scenarios.Parse("fast.yaml", []byte(strings.Replace(string(src), "seed: 1\n", "seed: 1\ntime_scale: 10\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	for _, strat := range []string{"retry-after", "full-jitter"} {
		o := Options{Scenario: sc, Variants: variants(sc, strat), Seeds: 2}
		virt, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		o.Real = true
		real, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		v, r := virt.Rows[0], real.Rows[0]
		if d := v.SuccessRate.Mean - r.SuccessRate.Mean; d > 0.02 || d < -0.02 {
			t.Errorf("%s: success virtual %.3f vs real %.3f", strat, v.SuccessRate.Mean, r.SuccessRate.Mean)
		}
		if d := (v.Amplification.Mean - r.Amplification.Mean) / r.Amplification.Mean; d > 0.1 || d < -0.1 {
			t.Errorf("%s: amplification virtual %.3f vs real %.3f", strat, v.Amplification.Mean, r.Amplification.Mean)
		}
		t.Logf("%s: success %.3f/%.3f amplification %.3f/%.3f (virtual/real)", strat, v.SuccessRate.Mean, r.SuccessRate.Mean, v.Amplification.Mean, r.Amplification.Mean)
	}
}

func TestSweep(t *testing.T) {
	vs, err := Sweep([]string{"full-jitter.base=5ms,50ms", "full-jitter.cap=1s,2s", "fixed.delay=1s"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range vs {
		names = append(names, v.Name)
	}
	want := "full-jitter(base=5ms,cap=1s) full-jitter(base=5ms,cap=2s) full-jitter(base=50ms,cap=1s) full-jitter(base=50ms,cap=2s) fixed(delay=1s)"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("sweep:\n%s\nwant\n%s", got, want)
	}
	for _, bad := range []string{"base=5ms", "nope.base=1s", "full-jitter.bsae=1s", "full-jitter.base=10"} {
		if _, err := Sweep([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestFormats(t *testing.T) {
	sc := embedded(t, "seed-eu-identity")
	res, err := Run(context.Background(), Options{Scenario: sc, Variants: variants(sc, "naive", "adaptive"), Seeds: 1, Ops: 30})
	if err != nil {
		t.Fatal(err)
	}
	for format, want := range map[string]string{"table": " ★", "markdown": "## ratelab compare: seed-eu-identity", "json": `"rows"`, "html": "<svg"} {
		var buf bytes.Buffer
		if err := res.Write(&buf, format); err != nil || !strings.Contains(buf.String(), want) {
			t.Errorf("%s: %v, lacks %q", format, err, want)
		}
	}
}

// BenchmarkSimulatedAttempts reports simulated attempts per wall-clock
// second for a whole comparison on the seed scenario (every strategy, two
// seeds, 2,000 operations a run, runs in parallel across cores), analysis
// included, with the garbage-collection target the command sets.
func BenchmarkSimulatedAttempts(b *testing.B) {
	defer probe.TuneRuntime(0)()
	sc := embedded(b, "seed-eu-identity")
	attempts := 0.0
	start := time.Now()
	for i := 0; i < b.N; i++ {
		res, err := Run(context.Background(), Options{Scenario: sc, Seeds: 2, Ops: 2000, BaseSeed: uint64(10 + i)})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res.Rows {
			attempts += r.Attempts.Mean * 2
		}
	}
	b.ReportMetric(attempts/time.Since(start).Seconds(), "attempts/s")
}

// TestAdaptiveMeetsItsTargets: on every embedded rate-limited scenario,
// with the default three seeds, adaptive reaches 99% success, amplification
// at most 1.1 and efficiency at least 0.9, and no built-in strategy with
// comparable success beats its goodput by more than 2%. The seed scenario
// is also held to it over 50 seeds, where the margin is thinnest.
func TestAdaptiveMeetsItsTargets(t *testing.T) {
	for _, c := range []struct {
		name  string
		seeds int
	}{{"seed-eu-identity", 3}, {"seed-eu-identity", 50}, {"retry-after-zero", 3}, {"stacked-limits", 3}, {"tiers", 3}} {
		sc := embedded(t, c.name)
		res, err := Run(context.Background(), Options{Scenario: sc, Seeds: c.seeds})
		if err != nil {
			t.Fatal(err)
		}
		checks := adaptiveChecks(res.Rows, res.Limited)
		if !res.Limited || len(checks) != 4 {
			t.Fatalf("%s: rate limited %v, %d checks", c.name, res.Limited, len(checks))
		}
		for _, ch := range checks {
			if !ch.Pass {
				t.Errorf("%s over %d seeds: %s %v, want %s", c.name, c.seeds, ch.Name, ch.Observed, ch.Target)
			}
		}
	}
}
