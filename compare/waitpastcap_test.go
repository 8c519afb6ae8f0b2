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
