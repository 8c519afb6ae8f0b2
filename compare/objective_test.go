package compare

import (
	"context"
	"math"
	"testing"
)

// TestRankingRespectsDominance: under every objective, no strategy is
// ranked above one that beats it on success, goodput, amplification and
// neighbour impact at once, and the Pareto marks are exactly the rows no
// other dominates.
func TestRankingRespectsDominance(t *testing.T) {
	for _, name := range []string{"seed-eu-identity", "stacked-limits", "retry-after-zero"} {
		sc := embedded(t, name)
		res, err := Run(context.Background(), Options{Scenario: sc, Seeds: 2, Ops: 60})
		if err != nil {
			t.Fatal(err)
		}
		for _, obj := range Objectives {
			rows := append([]Row(nil), res.Rows...)
			rank(rows, obj)
			for i := range rows {
				pareto := true
				for j := range rows {
					if dominates(&rows[j], &rows[i]) {
						pareto = false
						if j > i {
							t.Errorf("%s/%s: %s (#%d) ranked above %s (#%d), which beats it on every count",
								name, obj.Name, rows[i].Name, i+1, rows[j].Name, j+1)
						}
					}
				}
				if rows[i].Pareto != pareto {
					t.Errorf("%s/%s: %s marked Pareto %v, want %v", name, obj.Name, rows[i].Name, rows[i].Pareto, pareto)
				}
			}
		}
	}
}

// TestDominanceOnMadeUpRows holds the rule where a naive lexicographic
// order would break it: within bands, a row that is better on everything
// still comes first.
func TestDominanceOnMadeUpRows(t *testing.T) {
	row := func(name string, s, g, a, n float64) Row {
		return Row{Name: name, SuccessRate: Stat{Mean: s}, Goodput: Stat{Mean: g}, Amplification: Stat{Mean: a}, NeighbourImpact: Stat{Mean: n}}
	}
	for _, obj := range Objectives {
		rows := []Row{row("worse", 0.995, 2.0, 1.05, 9), row("better", 1, 2.1, 1.04, 8), row("hammer", 0.5, 9, 5, 90)}
		rank(rows, obj)
		if rows[0].Name != "better" || rows[1].Name != "worse" {
			t.Errorf("%s: order %s, %s, %s; want better, worse, hammer", obj.Name, rows[0].Name, rows[1].Name, rows[2].Name)
		}
	}
}

// TestDefaultWinnerSucceedsAtLowLoad is the acceptance: on every
// embedded rate-limited scenario the default objective's winner has at
// least 99% success and, among the strategies that do, the lowest
// amplification or one within the same 10% band of it.
func TestDefaultWinnerSucceedsAtLowLoad(t *testing.T) {
	for _, name := range []string{"seed-eu-identity", "retry-after-zero", "stacked-limits", "tiers", "token-endpoint-limit"} {
		res, err := Run(context.Background(), Options{Scenario: embedded(t, name)})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Limited {
			continue
		}
		w := res.Rows[0]
		if w.SuccessRate.Mean < 0.99 {
			t.Errorf("%s: winner %s has %.1f%% success, want >= 99%%", name, w.Name, 100*w.SuccessRate.Mean)
		}
		least := math.Inf(1)
		for _, r := range res.Rows {
			if r.SuccessRate.Mean >= 0.99 {
				least = math.Min(least, r.Amplification.Mean)
			}
		}
		if w.Amplification.Mean > least*AmplificationBand {
			t.Errorf("%s: winner %s at amplification %.2f; the least among those with 99%% success is %.2f", name, w.Name, w.Amplification.Mean, least)
		}
		if res.Rule == "" || res.Reason == "" {
			t.Errorf("%s: no rule or reason stated", name)
		}
	}
}

// TestObjectiveChangesTheVerdict: --objective picks the rule, the result
// states it, and an unknown name is refused.
func TestObjectiveChangesTheVerdict(t *testing.T) {
	sc := embedded(t, "seed-eu-identity")
	vs := variants(sc, "adaptive", "aws-adaptive", "naive")
	winners := map[string]string{}
	for _, obj := range []string{"", "goodput", "load"} {
		res, err := Run(context.Background(), Options{Scenario: sc, Variants: vs, Objective: obj})
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := ObjectiveNamed(obj); res.Objective != want.Name || res.Rule != want.Rule {
			t.Errorf("objective %q: result states %q: %q", obj, res.Objective, res.Rule)
		}
		winners[res.Objective] = res.Winner
	}
	if winners["shared"] != "adaptive" || winners["goodput"] != "aws-adaptive" || winners["load"] != "adaptive" {
		t.Errorf("winners %v; want adaptive under shared and load, aws-adaptive (1%% more goodput at 99%% success) under goodput", winners)
	}
	if _, err := Run(context.Background(), Options{Scenario: sc, Variants: vs, Objective: "fastest"}); err == nil {
		t.Error("an unknown objective was accepted")
	}
}
