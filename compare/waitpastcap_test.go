package compare

import (
	"context"
	"strings"
	"testing"

	"github.com/ratelab/ratelab/scenarios"
)

// TestWaitPastCapIsCutShort: naive sleeps exactly Retry-After, so against
// an hourly quota under a 2-minute cap its throttled operations end with
// wait-past-cap; the comparison counts those runs as cut short by the
// time cap, not as the strategy's own failures, and gives no verdict.
func TestWaitPastCapIsCutShort(t *testing.T) {
	sc, err := scenarios.Parse("quota.yaml", []byte(`name: quota
gateway:
  buckets: [{name: q, scope: global, algorithm: fixed-window, limit: 5/h, window: 1h}]
  routes: [{match: "*", buckets: [q]}]
  retry_after: {mode: accurate}
  faults: {latency: {dist: constant, mean: 10ms}}
workload: {operation: get-user, ops: 10, concurrency: 10, max_duration: 2m}
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{Scenario: sc, Variants: variants(sc, "naive", "none"), Seeds: 2})
	if err != nil {
		t.Fatal(err)
	}
	capped := map[string]int{}
	for _, r := range res.Rows {
		capped[r.Name] = r.Capped
	}
	if capped["naive"] != 2 || capped["none"] != 0 {
		t.Fatalf("capped runs %v: want naive's 2 (wait-past-cap), none's 0 (it stops on its own)", capped)
	}
	if res.Winner != "" || !strings.Contains(res.Reason, "cut short by a cap (time-cap)") {
		t.Fatalf("winner %q, reason %q: want no verdict", res.Winner, res.Reason)
	}
}

// TestNotRateLimitedSaysSo: a comparison in which no run met a 429 says
// so above its ranking; one that met 429s does not.
func TestNotRateLimitedSaysSo(t *testing.T) {
	for _, c := range []struct {
		name string
		ops  int
		want bool
	}{{"healthy", 5, true}, {"seed-eu-identity", 100, false}} {
		sc, err := scenarios.Embedded(c.name)
		if err != nil {
			t.Fatal(err)
		}
		sc.Workload.Ops = c.ops
		res, err := Run(context.Background(), Options{Scenario: sc, Variants: variants(sc, "naive", "adaptive"), Seeds: 1})
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		if err := res.Write(&out, "table"); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(out.String(), "NOT RATE LIMITED"); got != c.want || res.Limited == c.want {
			t.Errorf("%s with %d ops: rate limited %v, says NOT RATE LIMITED %v\n%s", c.name, c.ops, res.Limited, got, out.String())
		}
	}
}
