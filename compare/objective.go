package compare

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// The thresholds of "about equally" and "a little" (README "Virtual time
// and compare").
const (
	// SuccessBand: strategies within this of the best success rate (a
	// point) succeed about equally.
	SuccessBand = 0.01
	// AmplificationBand: amplifications in the same band of this ratio
	// (10%) count as the same load on the API.
	AmplificationBand = 1.10
	// NeighbourBand: neighbour impacts in the same band of this many
	// refused requests count as the same load on the neighbours.
	NeighbourBand = 10.0
)

// Objective is a rule compare ranks by.
type Objective struct {
	Name string
	// Rule says it in one sentence, for the verdict line.
	Rule string
	// keys are compared in order, lower first; each must not increase
	// when a row gets better on success, goodput, amplification and
	// neighbour impact at once, so that ranking respects dominance.
	keys func(r *Row, bestSuccess float64) []float64
	// why says what won it.
	why func(w *Row) string
}

// successGroup is 0 for rows that succeed about as well as the best, then
// less success in half points.
func successGroup(r *Row, best float64) float64 {
	if r.SuccessRate.Mean >= best-SuccessBand-1e-9 {
		return 0
	}
	return 1 + math.Round((best-r.SuccessRate.Mean)*200)
}

func ampBand(r *Row) float64 {
	return math.Floor(math.Log(math.Max(r.Amplification.Mean, 1)) / math.Log(AmplificationBand))
}

func neighbourBand(r *Row) float64 {
	return math.Floor(math.Max(r.NeighbourImpact.Mean, 0) / NeighbourBand)
}

// Objectives are the rules --objective picks from; the first is the
// default.
var Objectives = []Objective{
	{Name: "shared",
		Rule: fmt.Sprintf("operations must succeed; among strategies within %.0f point of the best success, less load on the API (amplification, in %.0f%% bands) and then on the neighbours (their refused requests, in bands of %.0f) beats more goodput",
			100*SuccessBand, 100*(AmplificationBand-1), NeighbourBand),
		keys: func(r *Row, best float64) []float64 {
			return []float64{successGroup(r, best), ampBand(r), neighbourBand(r), -r.Goodput.Mean}
		},
		why: func(w *Row) string {
			return fmt.Sprintf("it succeeds about as well as the best and puts the least load on the API and its neighbours among those (amplification %.2f, %.0f neighbour requests refused)",
				w.Amplification.Mean, w.NeighbourImpact.Mean)
		}},
	{Name: "goodput",
		Rule: fmt.Sprintf("operations must succeed; among strategies within %.0f point of the best success, the most successful operations per second wins", 100*SuccessBand),
		keys: func(r *Row, best float64) []float64 {
			return []float64{successGroup(r, best), -r.Goodput.Mean}
		},
		why: func(w *Row) string {
			return fmt.Sprintf("it has the most goodput (%.2f ops/s) among those that succeed about as well as the best", w.Goodput.Mean)
		}},
	{Name: "latency",
		Rule: fmt.Sprintf("operations must succeed; among strategies within %.0f point of the best success, the lowest p99 operation latency wins", 100*SuccessBand),
		keys: func(r *Row, best float64) []float64 {
			return []float64{successGroup(r, best), r.LatencyP99.Mean}
		},
		why: func(w *Row) string {
			return fmt.Sprintf("it has the lowest p99 latency (%.2f s) among those that succeed about as well as the best", w.LatencyP99.Mean)
		}},
	{Name: "load",
		Rule: fmt.Sprintf("operations must succeed; among strategies within %.0f point of the best success, the least amplification wins, then the least neighbour impact", 100*SuccessBand),
		keys: func(r *Row, best float64) []float64 {
			return []float64{successGroup(r, best), r.Amplification.Mean, r.NeighbourImpact.Mean}
		},
		why: func(w *Row) string {
			return fmt.Sprintf("it sends the fewest requests per operation (amplification %.2f) among those that succeed about as well as the best", w.Amplification.Mean)
		}},
}

// ObjectiveNamed returns the objective called name ("" is the default).
func ObjectiveNamed(name string) (Objective, error) {
	if name == "" {
		return Objectives[0], nil
	}
	var names []string
	for _, o := range Objectives {
		if o.Name == name {
			return o, nil
		}
		names = append(names, o.Name)
	}
	return Objective{}, fmt.Errorf("compare: unknown objective %q (valid: %s)", name, strings.Join(names, ", "))
}

// dominates reports whether a beats b on success, goodput, amplification
// and neighbour impact at once: no worse on any, better on one.
func dominates(a, b *Row) bool {
	ge := a.SuccessRate.Mean >= b.SuccessRate.Mean && a.Goodput.Mean >= b.Goodput.Mean &&
		a.Amplification.Mean <= b.Amplification.Mean && a.NeighbourImpact.Mean <= b.NeighbourImpact.Mean
	gt := a.SuccessRate.Mean > b.SuccessRate.Mean || a.Goodput.Mean > b.Goodput.Mean ||
		a.Amplification.Mean < b.Amplification.Mean || a.NeighbourImpact.Mean < b.NeighbourImpact.Mean
	return ge && gt
}

// rank orders rows by the objective's keys, then moves any row a later
// row dominates below it, numbers them, and marks the winner and the
// Pareto set.
func rank(rows []Row, obj Objective) {
	best := 0.0
	for i := range rows {
		best = math.Max(best, rows[i].SuccessRate.Mean)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		ka, kb := obj.keys(&rows[i], best), obj.keys(&rows[j], best)
		for n := range ka {
			if ka[n] != kb[n] {
				return ka[n] < kb[n]
			}
		}
		return dominates(&rows[i], &rows[j])
	})
	respectDominance(rows)
	for i := range rows {
		rows[i].Rank, rows[i].Winner, rows[i].Pareto = i+1, i == 0, true
		for j := range rows {
			if dominates(&rows[j], &rows[i]) {
				rows[i].Pareto = false
			}
		}
	}
}

// respectDominance reorders rows so that none is ranked above one that
// dominates it, keeping the objective's order otherwise: each place goes
// to the first remaining row (in that order) that no remaining row
// dominates. Dominance is a strict partial order, so one always exists.
func respectDominance(rows []Row) {
	rest := append([]Row(nil), rows...)
	for n := range rows {
		pick := 0
		for i := range rest {
			free := true
			for j := range rest {
				if j != i && dominates(&rest[j], &rest[i]) {
					free = false
					break
				}
			}
			if free {
				pick = i
				break
			}
		}
		rows[n] = rest[pick]
		rest = append(rest[:pick], rest[pick+1:]...)
	}
}

// reason says why the winner won, with the runner-up for scale.
func reason(rows []Row, obj Objective) (string, string) {
	if len(rows) == 0 {
		return "", ""
	}
	w := &rows[0]
	r := fmt.Sprintf("%s wins (%.1f%% success, %.2f ops/s, amplification %.2f): %s",
		w.Name, 100*w.SuccessRate.Mean, w.Goodput.Mean, w.Amplification.Mean, obj.why(w))
	if len(rows) > 1 {
		n := &rows[1]
		r += fmt.Sprintf("; runner-up %s: %.1f%%, %.2f ops/s, amplification %.2f, %.0f neighbour requests refused",
			n.Name, 100*n.SuccessRate.Mean, n.Goodput.Mean, n.Amplification.Mean, n.NeighbourImpact.Mean)
	}
	return w.Name, r + "."
}
