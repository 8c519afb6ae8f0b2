package compare

import (
	"math"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/mockgateway/limit"
	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/scenarios"
)

// truth is what the in-process gateway knew about one run: its efficiency
// and its neighbour impact (README "Metrics").
type truth struct {
	efficiency *float64
	// neighbour is how many more of the other tenants' (background)
	// requests the gateway refused with the client than without it.
	neighbour float64
}

// gatewayTruth reads a finished virtual or loopback run's gateway.
//
// Efficiency is, on the binding bucket, the client's useful work ÷ the
// capacity available to it over the gateway's life T:
//
//	useful(b)    = succeeded operations × the request units one operation's
//	               happy path spends on b (its steps routed through b, times
//	               the route's cost)
//	capacity(b)  = Σ over b's states (org: one; per token, client or user:
//	               each key seen) of the most the state can admit over T
//	               (limit.Bucket.MostAdmitted) − the background load b admitted
//	available(b) = min(capacity(b), operations × the units one spends on b)
//	efficiency   = max over b of useful(b) ÷ available(b)
//
// Each successful operation had each happy-path step admitted at least
// once, so useful(b) ≤ what b admitted of the client's, and what b admits
// (client and background) never exceeds the sum of its states' bounds;
// useful(b) ≤ the operations' own units too. Every ratio, and so the
// maximum, is at most 1. The bucket with the
// largest ratio is the binding one. Concurrency buckets bound no count
// over time and are left out.
func gatewayTruth(sc *scenarios.Scenario, operation string, seed uint64, res *probe.Result, ops, succeeded int) truth {
	var tr truth
	if res == nil || res.Gateway == nil {
		return tr
	}
	model, err := limit.New(sc.LimitConfig(seed), res.GatewayStart)
	if err != nil {
		return tr
	}
	tr.efficiency = efficiency(model, res, usefulPerOp(sc, operation), ops, succeeded)
	// The same model, seed and span with no client: its background load
	// meets only itself.
	quiet := map[string]uint64{}
	for _, b := range model.Stats(res.GatewayEnd) {
		quiet[b.Name] = b.BackgroundRejected
	}
	for _, b := range res.Gateway {
		tr.neighbour += float64(b.BackgroundRejected) - float64(quiet[b.Name])
	}
	return tr
}

// efficiency is the largest useful ÷ available over the buckets one
// operation spends on; nil when none bounds a count over time.
func efficiency(model *limit.Model, res *probe.Result, perOp map[string]float64, ops, succeeded int) *float64 {
	best, found := 0.0, false
	for _, b := range res.Gateway {
		bk, ok := model.Bucket(b.Name)
		if !ok || perOp[b.Name] == 0 {
			continue
		}
		// The client cannot use more than its own work: a bucket with room
		// to spare is available only up to that.
		avail := float64(ops) * perOp[b.Name]
		capacity := -float64(b.BackgroundAdmitted)
		for _, lv := range b.Levels {
			capacity += bk.MostAdmitted(lv.Tier, res.GatewayStart, res.GatewayEnd)
		}
		if math.IsNaN(capacity) {
			continue
		}
		avail = math.Min(avail, capacity)
		found = true
		if useful := float64(succeeded) * perOp[b.Name]; useful > 0 {
			r := math.Inf(1) // no capacity left yet work done: the bound failed, and the property test says so
			if avail > 0 {
				r = useful / avail
			}
			best = math.Max(best, r)
		}
	}
	if !found {
		return nil
	}
	return &best
}

// usefulPerOp is the request units one operation's happy path spends on
// each bucket, from the scenario's routes.
func usefulPerOp(sc *scenarios.Scenario, operation string) map[string]float64 {
	out := map[string]float64{}
	op, ok := api.OperationNamed(operation)
	if !ok {
		return out
	}
	for _, step := range op.Steps() {
		var route *scenarios.Route
		for i, r := range sc.Gateway.Routes {
			if !r.Any && r.API == step || (route == nil && r.Any) {
				route = &sc.Gateway.Routes[i]
			}
		}
		if route == nil {
			continue
		}
		for _, name := range route.Buckets {
			out[name] += float64(max(route.Cost, 1))
		}
	}
	return out
}
