package scenarios

import (
	"fmt"
	"strings"

	"github.com/ratelab/ratelab/analysis/metric"
	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/mockgateway/limit"
	"github.com/ratelab/ratelab/probe/strategy"
)

// Validate checks the scenario's meaning: names that refer to each other,
// closed sets of values, and impossible numbers. It reads the typed values
// Parse resolved and changes nothing.
func (s *Scenario) Validate() error {
	p := newProblems(s.File)
	s.validate(p)
	return p.err()
}

// validate records the scenario's semantic problems in p.
func (s *Scenario) validate(p *problems) {
	v := &validator{s: s, p: p, tierList: strings.Join(sortedKeys(s.Gateway.Tiers), ", ")}
	if strings.TrimSpace(s.Name) == "" {
		v.fail("name", "a scenario needs a name")
	}
	v.timeScale()
	buckets := v.buckets()
	v.tiers(buckets)
	v.routes(buckets)
	v.retryAfterPolicy()
	v.background(buckets)
	v.faults()
	v.gatewayLimits()
	v.clients()
	v.workload()
	for i, a := range s.Assert {
		m, _, _, err := ParseAssertion(a)
		switch {
		case err != nil:
			v.fail(fmt.Sprintf("assert[%d]", i), "%v", err)
		case !metric.Known(m):
			v.fail(fmt.Sprintf("assert[%d]", i), "assertion %q: unknown metric %q (valid: %s)", a, m, strings.Join(metric.Names(), ", "))
		}
	}
}

// parsed reports whether the option at path parsed at load.
func (v *validator) parsed(path string) bool { return !v.s.unparsed[path] }

// isAlgorithm reports whether bucket i's algorithm parsed as a.
func (v *validator) isAlgorithm(i int, a limit.Algorithm) bool {
	return v.parsed(fmt.Sprintf("gateway.buckets[%d].algorithm", i)) && v.s.Gateway.Buckets[i].ParsedAlgorithm == a
}

// buckets checks the buckets and returns them by name.
func (v *validator) buckets() map[string]int {
	g := &v.s.Gateway
	buckets := map[string]int{}
	for i := range g.Buckets {
		b := &g.Buckets[i]
		p := fmt.Sprintf("gateway.buckets[%d]", i)
		if b.Name == "" {
			v.fail(p, "a bucket needs a name")
		} else if _, dup := buckets[b.Name]; dup {
			v.fail(p+".name", "bucket %q is defined twice", b.Name)
		}
		buckets[b.Name] = i
		if !v.parsed(p + ".scope") {
			v.fail(p+".scope", "unknown scope %q (valid: %s)", b.Scope, strings.Join(limit.ScopeNames(), ", "))
		}
		if !v.parsed(p + ".algorithm") {
			v.fail(p+".algorithm", "unknown algorithm %q (valid: %s)", b.Algorithm, strings.Join(limit.AlgorithmNames(), ", "))
		}
		v.bucketLimit(i, p)
		if b.Burst < 0 {
			v.fail(p+".burst", "%d must not be negative", b.Burst)
		}
		v.atMost(p+".burst", b.Burst, maxCount, "the most ratelab models")
		if b.Burst > 0 && !v.isAlgorithm(i, limit.TokenBucket) {
			v.fail(p+".burst", "burst applies only to token-bucket, not %s", b.Algorithm)
		}
		v.window(p+".window", b.Window.D())
		v.slidingCapacity(i, p)
		if b.Window > 0 && (v.isAlgorithm(i, limit.TokenBucket) || v.isAlgorithm(i, limit.Concurrency) || v.isAlgorithm(i, limit.DailyQuota)) {
			v.fail(p+".window", "window applies only to fixed-window and sliding-window, not %s", b.Algorithm)
		}
		v.dailyQuota(i, p)
	}
	v.bucketList = strings.Join(sortedKeys(buckets), ", ")
	v.bucketsNamed = !v.p.failed["gateway.buckets"]
	for i := range g.Buckets {
		p := fmt.Sprintf("gateway.buckets[%d]", i)
		v.bucketsNamed = v.bucketsNamed && !v.p.failed[p] && !v.p.failed[p+".name"]
	}
	return buckets
}

// bucketLimit checks bucket i's limit against its algorithm and the tiers.
func (v *validator) bucketLimit(i int, p string) {
	g := &v.s.Gateway
	b := &g.Buckets[i]
	concurrency := v.isAlgorithm(i, limit.Concurrency)
	switch {
	case b.Limit == nil:
		v.fail(p, "bucket %q needs a limit (\"tier\", a rate like 180/min, or a count for concurrency)", b.Name)
	case b.Limit.FromTier:
		if len(g.Tiers) == 0 {
			v.fail(p+".limit", "limit is \"tier\" but gateway.tiers defines no tiers")
		}
		for _, tn := range sortedKeys(g.Tiers) {
			if _, ok := g.Tiers[tn][b.Name]; !ok {
				v.fail("gateway.tiers."+tn, "tier %q has no limit for bucket %q, whose limit is \"tier\"", tn, b.Name)
			}
		}
	case concurrency && b.Limit.Rate.Per != 0:
		v.fail(p+".limit", "a concurrency limit is a whole number of requests in flight, not a rate")
	case !concurrency && b.Limit.Rate.Per == 0:
		unit := "min"
		if v.isAlgorithm(i, limit.DailyQuota) {
			unit = "day"
		}
		v.fail(p+".limit", "%v is a count; algorithm %s needs a rate such as %v/%s", b.Limit.Rate.N, b.Algorithm, b.Limit.Rate.N, unit)
	case concurrency:
		if b.Limit.Rate.N > maxCount {
			v.fail(p+".limit", "%s requests in flight is above %d, the most ratelab models", num(b.Limit.Rate.N), maxCount)
		}
	default:
		v.rate(p+".limit", b.Limit.Rate, false)
	}
}

// dailyQuota checks bucket i's reset, that a daily-quota limit is a
// count per day, and the bucket's documented value.
func (v *validator) dailyQuota(i int, p string) {
	b := &v.s.Gateway.Buckets[i]
	daily := v.isAlgorithm(i, limit.DailyQuota)
	switch {
	case b.Reset != "" && !v.parsed(p+".reset"):
		v.fail(p+".reset", "%q is not a time of day: write HH:MM in UTC, 00:00 to 23:59 (e.g. \"07:00\")", b.Reset)
	case b.Reset != "" && !daily && v.parsed(p+".algorithm"):
		v.fail(p+".reset", "reset applies only to daily-quota, not %s", b.Algorithm)
	}
	if daily && b.Limit != nil && !b.Limit.FromTier && b.Limit.Rate.Per != 0 && b.Limit.Rate.Per != day {
		v.fail(p+".limit", "a daily-quota limit is a count per day, such as %v/day, not %v", b.Limit.Rate.N, b.Limit.Rate)
	}
	v.documented(p, b)
}

// documented checks a bucket's documented value, which the limits API
// reports under its key.
func (v *validator) documented(p string, b *Bucket) {
	switch {
	case b.Documented < 0:
		v.fail(p+".documented", "%v must not be negative", b.Documented)
	case b.Documented > maxDocumented:
		v.fail(p+".documented", "%v is above %s, the most ratelab models", b.Documented, num(maxDocumented))
	case b.Documented > 0 && b.Key == "":
		v.fail(p+".documented", "documented is what the limits API reports under the bucket's key; the bucket needs a key")
	}
}

// tiers checks that every tier limits only defined buckets.
func (v *validator) tiers(buckets map[string]int) {
	g := &v.s.Gateway
	for _, tn := range sortedKeys(g.Tiers) {
		for _, bn := range sortedKeys(g.Tiers[tn]) {
			r := g.Tiers[tn][bn].Rate
			v.rate("gateway.tiers."+tn+"."+bn, r, false)
			i, ok := buckets[bn]
			if ok && v.isAlgorithm(i, limit.DailyQuota) && r.Per != day {
				v.fail("gateway.tiers."+tn+"."+bn, "bucket %q is a daily-quota; its limit is a count per day, such as %v/day, not %v", bn, r.N, r)
			}
			if !ok && v.bucketsNamed {
				v.fail("gateway.tiers."+tn+"."+bn, "tier %q limits bucket %q, which is not defined (buckets: %s)", tn, bn, v.bucketList)
			}
		}
	}
}

// routes checks the routes' names, buckets, costs and latencies.
func (v *validator) routes(buckets map[string]int) {
	seen := map[string]bool{}
	for i, r := range v.s.Gateway.Routes {
		p := fmt.Sprintf("gateway.routes[%d]", i)
		if !v.parsed(p + ".match") {
			v.fail(p+".match", "unknown route %q (valid: \"*\", %s)", r.Match, quoteAll(api.ScenarioRoutes()))
		}
		if seen[r.Match] {
			v.fail(p+".match", "route %q is listed twice", r.Match)
		}
		seen[r.Match] = true
		if !r.Any && v.parsed(p+".match") && (r.API == api.LimitNamespaces || r.API == api.LimitNamespace) && !v.s.Gateway.ServesLimitsAPI() {
			v.fail(p+".match", "route %q is the limits API, which gateway.limits_api: false turns off", r.Match)
		}
		for j, bn := range r.Buckets {
			if _, ok := buckets[bn]; !ok && v.bucketsNamed {
				v.fail(fmt.Sprintf("%s.buckets[%d]", p, j), "unknown bucket %q (defined: %s)", bn, v.bucketList)
			}
		}
		if r.Cost < 0 {
			v.fail(p+".cost", "%d must not be negative", r.Cost)
		}
		v.atMost(p+".cost", r.Cost, maxCount, "the most ratelab models")
		if r.Latency != nil {
			v.latency(p+".latency", r.Latency)
		}
	}
}

// retryAfterPolicy checks the Retry-After mode and a mix's choices.
func (v *validator) retryAfterPolicy() {
	ra := &v.s.Gateway.RetryAfter
	const p = "gateway.retry_after"
	v.retryAfter(p, ra.Mode, ra.ParsedMode, ra.Value, ra.Min, ra.Max)
	if !v.isMode(p, ra.ParsedMode, limit.Mix) {
		if len(ra.Choices) > 0 {
			v.fail(p+".choices", "choices apply only to mode mix")
		}
		return
	}
	if len(ra.Choices) == 0 {
		v.fail(p+".choices", "mode mix needs choices, e.g. [{p: 0.8, mode: zero}, {p: 0.2, mode: accurate}]")
	}
	for i, c := range ra.Choices {
		cp := fmt.Sprintf("%s.choices[%d]", p, i)
		if c.P <= 0 {
			v.fail(cp+".p", "probability %v must be positive", c.P)
		} else if c.P > maxWeight {
			v.fail(cp+".p", "weight %v is above %s", c.P, num(maxWeight))
		}
		if v.isMode(cp, c.ParsedMode, limit.Mix) {
			v.fail(cp+".mode", "a mix cannot contain a mix")
		}
		v.retryAfter(cp, c.Mode, c.ParsedMode, c.Value, c.Min, c.Max)
	}
}

// isMode reports whether the mode at p parsed as want.
func (v *validator) isMode(p string, mode, want limit.RetryAfterMode) bool {
	return v.parsed(p+".mode") && mode == want
}

func (v *validator) retryAfter(p, text string, mode limit.RetryAfterMode, value, lo, hi Duration) {
	v.duration(p+".value", value, maxPeriod)
	v.duration(p+".min", lo, maxPeriod)
	v.duration(p+".max", hi, maxPeriod)
	if !v.parsed(p + ".mode") {
		v.fail(p+".mode", "unknown mode %q (valid: %s)", text, strings.Join(limit.RetryAfterModeNames(), ", "))
		return
	}
	if mode == limit.Fixed && value == 0 {
		v.fail(p+".value", "mode fixed needs a value such as 30s")
	}
	if mode == limit.Random && (hi == 0 || lo > hi) {
		v.fail(p+".max", "mode random needs min <= max, e.g. {min: 1s, max: 30s}")
	}
}

// background checks the background load's buckets, patterns and tiers.
func (v *validator) background(buckets map[string]int) {
	g := &v.s.Gateway
	for i, bg := range g.Background {
		p := fmt.Sprintf("gateway.background[%d]", i)
		b, ok := buckets[bg.Bucket]
		if !ok && v.bucketsNamed {
			v.fail(p+".bucket", "unknown bucket %q (defined: %s)", bg.Bucket, v.bucketList)
		} else if ok && v.isAlgorithm(b, limit.Concurrency) {
			v.fail(p+".bucket", "bucket %q counts requests in flight; background load needs a rate-based bucket", bg.Bucket)
		}
		if bg.Rate == nil {
			v.fail(p, "background load needs a rate such as 2/s")
		} else {
			v.rate(p+".rate", bg.Rate.Rate, true)
		}
		if !v.parsed(p + ".pattern") {
			v.fail(p+".pattern", "unknown pattern %q (valid: constant, poisson)", bg.Pattern)
		}
		if _, ok := g.Tiers[bg.Tier]; bg.Tier != "" && !ok && !v.p.failed["gateway.tiers"] {
			v.fail(p+".tier", "unknown tier %q (defined: %s)", bg.Tier, v.tierList)
		}
	}
}

// faults checks the injected latency, errors and fractions.
func (v *validator) faults() {
	f := &v.s.Gateway.Faults
	if f.Latency != nil {
		v.latency("gateway.faults.latency", f.Latency)
	}
	for i, e := range f.Errors {
		p := fmt.Sprintf("gateway.faults.errors[%d]", i)
		if !oneOf(fmt.Sprint(e.Status), []string{"500", "502", "503", "504"}) {
			v.fail(p+".status", "status %d is not a server error the gateway injects (valid: 500, 502, 503, 504)", e.Status)
		}
		v.fraction(p+".rate", e.Rate)
		v.duration(p+".retry_after", e.RetryAfter, maxPeriod)
		for j, r := range e.Routes {
			if rp := fmt.Sprintf("%s.routes[%d]", p, j); !v.parsed(rp) {
				v.fail(rp, "unknown route %q (valid: %s)", r, quoteAll(api.ScenarioRoutes()))
			}
		}
	}
	v.fraction("gateway.faults.non_json_429", f.NonJSON429)
	v.fraction("gateway.faults.drop", f.Drop)
}

// gatewayLimits checks the user store, the tokens and the body size.
func (v *validator) gatewayLimits() {
	g := &v.s.Gateway
	if g.Users.Count < 1 {
		v.fail("gateway.users.count", "%d: there must be at least one user", g.Users.Count)
	}
	v.atMost("gateway.users.count", g.Users.Count, maxUsers, "the gateway builds every user up front")
	if !v.parsed("gateway.users.ids") {
		v.fail("gateway.users.ids", "unknown id style %q (valid: uuid, sequential)", g.Users.IDs)
	}
	if g.Token.MaxLive < 0 {
		v.fail("gateway.token.max_live", "%d must not be negative", g.Token.MaxLive)
	}
	v.atMost("gateway.token.max_live", g.Token.MaxLive, maxCount, "the most ratelab models")
	if g.Token.Limit != nil {
		v.rate("gateway.token.limit", g.Token.Limit.Rate, false)
	}
	v.duration("gateway.token.expires_in", g.Token.ExpiresIn, maxPeriod)
	if g.Token.ExpiresIn.D().Seconds() <= 60 {
		v.fail("gateway.token.expires_in", "%v must be above 60s: SDKs refresh at expires_in - 60s and loop when it is lower", g.Token.ExpiresIn)
	}
	if g.RequestBytesMax < 0 {
		v.fail("gateway.request_bytes_max", "%d must not be negative", g.RequestBytesMax)
	}
	v.atMost("gateway.request_bytes_max", g.RequestBytesMax, maxRequestBytes, "the gateway reads a body up to it into memory")
}

// clients checks the clients' ids and tiers.
func (v *validator) clients() {
	g := &v.s.Gateway
	seen := map[string]bool{}
	for i, c := range v.s.Clients {
		p := fmt.Sprintf("clients[%d]", i)
		if c.ID == "" {
			v.fail(p, "a client needs an id")
		}
		if seen[c.ID] {
			v.fail(p+".id", "client %q is listed twice", c.ID)
		}
		seen[c.ID] = true
		if len(g.Tiers) > 0 {
			if _, ok := g.Tiers[c.Tier]; !ok && !v.p.failed["gateway.tiers"] {
				v.fail(p+".tier", "unknown tier %q for client %q (defined: %s)", c.Tier, c.ID, v.tierList)
			}
		} else if c.Tier != "" {
			v.fail(p+".tier", "client %q names tier %q but gateway.tiers defines none", c.ID, c.Tier)
		}
	}
}

// workload checks the probe's default workload.
func (v *validator) workload() {
	w := &v.s.Workload
	if !v.parsed("workload.operation") {
		v.fail("workload.operation", "unknown operation %q (valid: %s)", w.Operation, strings.Join(api.OperationNames(), ", "))
	}
	if w.Ops < 0 {
		v.fail("workload.ops", "%d must not be negative", w.Ops)
	}
	if w.Concurrency < 0 {
		v.fail("workload.concurrency", "%d must not be negative", w.Concurrency)
	}
	v.atMost("workload.ops", w.Ops, maxOps, "the probe builds the whole work list first")
	v.atMost("workload.concurrency", w.Concurrency, maxConcurrency, "one goroutine each")
	if w.Rate != nil {
		v.rate("workload.rate", w.Rate.Rate, true)
	}
	if !v.parsed("workload.arrival") {
		v.fail("workload.arrival", "unknown arrival %q (valid: constant, poisson)", w.Arrival)
	}
	if _, err := strategy.New(w.Strategy, w.Params); err != nil {
		path := "workload.strategy"
		if strategy.Known(w.Strategy) {
			path = "workload.params"
		}
		v.fail(path, "%s", strings.TrimPrefix(err.Error(), "strategy: "))
	}
	if w.Users < 0 || w.Users > v.s.Gateway.Users.Count {
		v.fail("workload.users", "%d must be between 0 (all) and gateway.users.count (%d)", w.Users, v.s.Gateway.Users.Count)
	}
	if w.MaxAttempts < 0 || w.MaxRequests < 0 {
		v.fail("workload", "max_attempts and max_requests must not be negative")
	}
	v.atMost("workload.max_attempts", w.MaxAttempts, maxAttempts, "ops × max_attempts is the default request cap")
	v.atMost("workload.max_requests", w.MaxRequests, maxRequests, "the most ratelab models")
	v.duration("workload.max_duration", w.MaxDuration, maxPeriod)
}

func (v *validator) latency(p string, l *Latency) {
	v.latencyBounds(p, l)
	if !v.parsed(p + ".dist") {
		v.fail(p+".dist", "unknown distribution %q (valid: constant, uniform, normal, lognormal)", l.Dist)
		return
	}
	switch l.ParsedDist {
	case Uniform:
		if l.Min > l.Max {
			v.fail(p+".min", "min %v is above max %v", l.Min, l.Max)
		}
	case Normal, Lognormal:
		if l.Mean == 0 {
			v.fail(p+".mean", "a %s latency needs a mean", l.Dist)
		}
	}
}

func (v *validator) fraction(p string, x float64) {
	if x < 0 || x > 1 {
		v.fail(p, "%v is not a fraction between 0 and 1", x)
	}
}
