package scenarios

import (
	"math"
	"time"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/mockgateway/limit"
)

// scale divides a scenario duration by the time scale.
func (s *Scenario) scale(d Duration) time.Duration {
	if s.TimeScale <= 0 || s.TimeScale == 1 {
		return d.D()
	}
	return time.Duration(float64(d) / s.TimeScale)
}

// Scaled returns d compressed by the scenario's time scale.
func (s *Scenario) Scaled(d time.Duration) time.Duration { return s.scale(Duration(d)) }

// LimitConfig returns the rate-limit model the scenario describes, with
// time compressed by TimeScale. seed drives background load.
func (s *Scenario) LimitConfig(seed uint64) limit.Config {
	g := &s.Gateway
	cfg := limit.Config{Seed: seed}
	tierNames := s.TierNames()
	for _, tn := range tierNames {
		t := limit.Tier{Name: tn, Limits: map[string]limit.Rate{}}
		for bn, r := range g.Tiers[tn] {
			t.Limits[bn] = r.Rate.Scale(s.TimeScale)
		}
		cfg.Tiers = append(cfg.Tiers, t)
	}
	for _, b := range g.Buckets {
		sp := limit.Spec{Name: b.Name, Scope: b.ParsedScope, Algorithm: b.ParsedAlgorithm, Window: s.scale(b.Window),
			Burst: b.Burst, Namespace: b.Namespace, Key: b.Key, Reset: s.scale(Duration(b.ParsedReset))}
		if b.Limit != nil {
			sp.FromTier = b.Limit.FromTier
			sp.Limit = b.Limit.Rate
			if sp.Limit.Per > 0 {
				sp.Limit = sp.Limit.Scale(s.TimeScale)
			}
		}
		cfg.Buckets = append(cfg.Buckets, sp)
	}
	for _, bg := range g.Background {
		out := limit.Background{Bucket: bg.Bucket, Key: bg.Key, Poisson: bg.Poisson}
		if bg.Rate != nil {
			out.Rate = bg.Rate.Rate.Scale(s.TimeScale)
		}
		for _, b := range g.Buckets {
			if b.Name == bg.Bucket && b.ParsedScope == limit.ScopeOrg && out.Key == "" {
				out.Key = g.Org
			}
		}
		tier := bg.Tier
		if tier == "" && len(s.Clients) > 0 {
			tier = s.Clients[0].Tier
		}
		for i, tn := range tierNames {
			if tn == tier {
				out.Tier = i
			}
		}
		cfg.Background = append(cfg.Background, out)
	}
	return cfg
}

// RetryAfterPolicy returns the gateway's Retry-After policy, its fixed and
// random values compressed by TimeScale like every other duration.
func (s *Scenario) RetryAfterPolicy() limit.RetryAfter {
	ra := s.Gateway.RetryAfter
	p := s.retryAfter(ra.ParsedMode, ra.Value, ra.Min, ra.Max)
	for _, c := range ra.Choices {
		p.Choices = append(p.Choices, limit.Weighted{P: c.P, Policy: s.retryAfter(c.ParsedMode, c.Value, c.Min, c.Max)})
	}
	return p
}

func (s *Scenario) retryAfter(m limit.RetryAfterMode, value, lo, hi Duration) limit.RetryAfter {
	return limit.RetryAfter{Mode: m, Value: s.scale(value), Min: s.scale(lo), Max: s.scale(hi)}
}

// Capacity estimates the request rate (per second, time-compressed) that
// the gateway leaves for all of the scenario's clients together on the
// routes of operation: for each rate-based bucket those routes stack
// (daily quotas aside: they bound a day's total, not a rate), its
// rate (times the number of clients for per-token, per-client and per-user
// buckets) less the background load charged to it, divided by the route's
// cost; the smallest wins. It returns 0 when nothing limits the routes.
func (s *Scenario) Capacity(operation string) float64 {
	rate, _, _ := s.CapacityShape(operation)
	return rate
}

// CapacityShape is Capacity plus the shape of the limiting bucket: burst
// is how many requests it admits at once when full (a token bucket's burst,
// a window's count), and window is 0 for a token bucket or the window
// length, whose count comes back whole each window.
func (s *Scenario) CapacityShape(operation string) (rate, burst float64, window time.Duration) {
	cfg := s.LimitConfig(0)
	bg := map[string]float64{}
	for _, b := range cfg.Background {
		bg[b.Bucket] += b.Rate.PerSecond()
	}
	tier := 0
	for i, tn := range s.TierNames() {
		if len(s.Clients) > 0 && s.Clients[0].Tier == tn {
			tier = i
		}
	}
	best, bestBurst := 0.0, 0.0
	var bestWindow time.Duration
	op, ok := api.OperationNamed(operation)
	if !ok {
		return 0, 0, 0
	}
	for _, step := range op.Steps() {
		var route *Route
		for i, r := range s.Gateway.Routes {
			if !r.Any && r.API == step || (route == nil && r.Any) {
				route = &s.Gateway.Routes[i]
			}
		}
		if route == nil {
			continue
		}
		cost := float64(max(route.Cost, 1))
		for _, name := range route.Buckets {
			for _, sp := range cfg.Buckets {
				// A concurrency bucket has no rate; a daily quota caps a
				// day's total, not the rate within a run, so a run that
				// spends it is cut short, not slowed: its count per day
				// would pose as a rate a thousand times too slow.
				if sp.Name != name || sp.Algorithm == limit.Concurrency || sp.Algorithm == limit.DailyQuota {
					continue
				}
				r := sp.Limit
				if sp.FromTier {
					r = cfg.Tiers[tier].Limits[name]
				}
				rate := r.PerSecond()
				switch sp.Scope {
				case limit.ScopeToken, limit.ScopeClient, limit.ScopeUser:
					rate *= float64(max(len(s.Clients), 1))
				}
				avail := math.Max(rate-bg[name], 0) / cost
				if best == 0 || avail < best {
					best = avail
					switch sp.Algorithm {
					case limit.TokenBucket:
						bestBurst, bestWindow = float64(max(sp.Burst, 1))/cost, 0
						if sp.Burst == 0 {
							bestBurst = math.Max(1, math.Ceil(rate)) / cost
						}
					default:
						w := sp.Window
						if w == 0 {
							w = r.Per
						}
						bestBurst, bestWindow = avail*w.Seconds(), w
					}
				}
			}
		}
	}
	return best, bestBurst, bestWindow
}
