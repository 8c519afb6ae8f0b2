package compare

import (
	"context"
	"testing"

	"github.com/ratelab/ratelab/scenarios"
)

// TestEfficiencyAtMostOne holds the property README "Metrics" proves:
// efficiency, from the gateway's truth, never exceeds 1 — on every
// embedded scenario, with every strategy, on several seeds (small runs, in
// virtual time). Amplification never drops below 1 either.
func TestEfficiencyAtMostOne(t *testing.T) {
	measured := 0
	for _, name := range scenarios.Names() {
		sc := embedded(t, name)
		res, err := Run(context.Background(), Options{Scenario: sc, Seeds: 4, BaseSeed: 1, Ops: 40})
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range res.Rows {
			for i, run := range row.runs {
				m := run.Metrics
				if m.Efficiency != nil {
					measured++
					if e := *m.Efficiency; !(e >= 0 && e <= 1) {
						t.Errorf("%s/%s seed %d: efficiency %v, want within [0, 1]", name, row.Name, res.Seeds[i], e)
					}
				}
				if m.Succeeded+m.Failed > 0 && m.Amplification < 1 {
					t.Errorf("%s/%s seed %d: amplification %v < 1", name, row.Name, res.Seeds[i], m.Amplification)
				}
			}
		}
	}
	if measured == 0 {
		t.Fatal("no run had an efficiency: the property was not tested")
	}
}

// TestSeedEfficiencyAtMostOne is the case: naive showed 145% on
// the seed scenario's default comparison.
func TestSeedEfficiencyAtMostOne(t *testing.T) {
	sc := embedded(t, "seed-eu-identity")
	res, err := Run(context.Background(), Options{Scenario: sc})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range res.Rows {
		if row.Efficiency == nil || row.Efficiency.Max > 1 {
			t.Errorf("%s: efficiency %+v, want at most 1", row.Name, row.Efficiency)
		}
	}
}
