package compare

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ratelab/ratelab/scenarios"
)

// TestCappedComparisonNamesNoWinner: when a cap, not the strategies, ends
// runs, the comparison says so and crowns nobody; without a cap given,
// the cap is sized to the workload, so more operations than the scenario's
// are not cut short (issue 16: with --ops 2000 every run hit the
// 10-minute cap and a winner was named from what fitted).
func TestCappedComparisonNamesNoWinner(t *testing.T) {
	sc, err := scenarios.Embedded("seed-eu-identity")
	if err != nil {
		t.Fatal(err)
	}
	vs := []Variant{NamedVariant(sc, "adaptive"), NamedVariant(sc, "naive")}
	res, err := Run(context.Background(), Options{Scenario: sc, Variants: vs, Seeds: 1, Ops: 300, MaxDuration: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Winner != "" || !strings.HasPrefix(res.CutShort, "CUT SHORT") || !strings.Contains(res.Reason, "cut short") {
		t.Fatalf("capped: winner %q, cut short %q, reason %q", res.Winner, res.CutShort, res.Reason)
	}
	for _, r := range res.Rows {
		if r.Winner || r.Capped == 0 {
			t.Errorf("capped row %s: winner %v, capped runs %d", r.Name, r.Winner, r.Capped)
		}
	}
	res, err = Run(context.Background(), Options{Scenario: sc, Variants: vs, Seeds: 1, Ops: 2000})
	if err != nil {
		t.Fatal(err)
	}
	if res.CutShort != "" || res.Winner != "adaptive" {
		t.Fatalf("2000 ops with the cap sized to them: winner %q, cut short %q", res.Winner, res.CutShort)
	}
}
