package compare

import (
	"context"
	"math"
	"testing"

	"github.com/ratelab/ratelab/probe/strategy"
)

// blogVariants are the AWS architecture blog's five backoffs: its
// "None" never waits.
func blogVariants(t *testing.T) []Variant {
	sc := embedded(t, "occ-contention")
	vs := variants(sc, "exponential", "full-jitter", "equal-jitter", "decorrelated-jitter")
	return append(vs, Variant{Name: "no-wait", Strategy: "fixed", Params: strategy.Params{"delay": "0s"}})
}

// blogResult is a comparison on occ-contention at n clients: mean writes
// and completion time (seconds) by variant name.
func blogResult(t *testing.T, n int) (writes, done map[string]float64) {
	t.Helper()
	sc := embedded(t, "occ-contention")
	res, err := Run(context.Background(), Options{Scenario: sc, Variants: blogVariants(t), Seeds: 5, Ops: n})
	if err != nil {
		t.Fatal(err)
	}
	writes, done = map[string]float64{}, map[string]float64{}
	for _, r := range res.Rows {
		if r.SuccessRate.Mean != 1 {
			t.Fatalf("%d clients: %s finished %.1f%% of its writes", n, r.Name, 100*r.SuccessRate.Mean)
		}
		writes[r.Name], done[r.Name] = r.Writes.Mean, r.Completion.Mean
	}
	t.Logf("%3d clients: writes %v; last done (s) %v", n, writes, done)
	return writes, done
}

// TestBlogContention reproduces "Exponential Backoff and Jitter" (AWS
// Architecture Blog): at 100 clients full and equal jitter do the same
// work within 5%, decorrelated jitter 15–45% more than full, no jitter at
// least twice full's work and eight times its time, and never waiting
// finishes first with the most writes.
func TestBlogContention(t *testing.T) {
	w, d := blogResult(t, 100)
	if r := w["equal-jitter"] / w["full-jitter"]; math.Abs(r-1) > 0.05 {
		t.Errorf("equal jitter %.0f writes vs full %.0f: not within 5%%", w["equal-jitter"], w["full-jitter"])
	}
	if r := w["decorrelated-jitter"] / w["full-jitter"]; r < 1.15 || r > 1.45 {
		t.Errorf("decorrelated %.0f writes vs full %.0f: ×%.2f, want 1.15–1.45", w["decorrelated-jitter"], w["full-jitter"], r)
	}
	if w["exponential"] < 2*w["full-jitter"] || d["exponential"] < 8*d["full-jitter"] {
		t.Errorf("no jitter %.0f writes in %.1fs vs full %.0f in %.1fs: want ≥ 2× the writes and ≥ 8× the time",
			w["exponential"], d["exponential"], w["full-jitter"], d["full-jitter"])
	}
	for name := range w {
		if name != "no-wait" && (w[name] >= w["no-wait"] || d[name] <= d["no-wait"]) {
			t.Errorf("%s: %.0f writes in %.2fs; never waiting: %.0f in %.2fs, want the most writes and the fastest finish",
				name, w[name], d[name], w["no-wait"], d["no-wait"])
		}
	}
}

// TestBlogContentionGrowth: at 20 and 50 clients the order is the blog's
// too (never waiting fastest with the most writes, no jitter slowest and
// the most writes of the backoffs), and never waiting's work grows
// roughly as N² from 20 to 50 to 100 clients: as N^1.5 at least, N² at
// most. (The 100-client margins are the blog's at 100; with fewer
// clients the backoffs are closer, as in its plots.)
func TestBlogContentionGrowth(t *testing.T) {
	none := map[int]float64{}
	for _, n := range []int{20, 50, 100} {
		w, d := blogResult(t, n)
		none[n] = w["no-wait"]
		for _, name := range []string{"full-jitter", "equal-jitter", "decorrelated-jitter"} {
			if w[name] >= w["exponential"] || d[name] >= d["exponential"] {
				t.Errorf("%d clients: %s %.0f writes in %.2fs, no jitter %.0f in %.2fs: no jitter should do more and take longest",
					n, name, w[name], d[name], w["exponential"], d["exponential"])
			}
		}
		for name := range w {
			if name != "no-wait" && (w[name] >= w["no-wait"] || d[name] <= d["no-wait"]) {
				t.Errorf("%d clients: %s %.0f writes in %.2fs vs never waiting %.0f in %.2fs", n, name, w[name], d[name], w["no-wait"], d["no-wait"])
			}
		}
	}
	for _, step := range [][2]int{{20, 50}, {50, 100}, {20, 100}} {
		a, b := step[0], step[1]
		exp := math.Log(none[b]/none[a]) / math.Log(float64(b)/float64(a))
		t.Logf("never waiting, %d → %d clients: writes grow as N^%.2f", a, b, exp)
		if exp < 1.5 || exp > 2.05 {
			t.Errorf("never waiting, %d → %d clients: writes %.0f → %.0f grow as N^%.2f, want about N²", a, b, none[a], none[b], exp)
		}
	}
}
