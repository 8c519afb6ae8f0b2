package compare

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultMaxDuration is a run's time cap when neither the comparison nor
// the scenario sets one and the workload's own pace is not known.
const DefaultMaxDuration = 10 * time.Minute

// maxDuration is a run's time cap: o's, else the scenario's, else four
// times what an open-loop workload needs at its arrival rate (and at least
// DefaultMaxDuration), so a larger --ops is not cut short by a cap sized
// for the scenario's own count.
func maxDuration(o Options) time.Duration {
	if o.MaxDuration > 0 {
		return o.MaxDuration
	}
	sc := o.Scenario
	if d := sc.Scaled(sc.Workload.MaxDuration.D()); d > 0 {
		return d
	}
	ops := o.Ops
	if ops == 0 {
		ops = sc.Workload.Ops
	}
	if ops == 0 {
		ops = 100
	}
	if w := sc.Workload; w.Rate != nil {
		if r := w.Rate.Rate.Scale(sc.TimeScale).PerSecond(); r > 0 {
			need := time.Duration(4 * float64(ops) / r * float64(time.Second))
			return max(DefaultMaxDuration, need)
		}
	}
	return DefaultMaxDuration
}

// cutShort withholds the verdict when a cap, not the strategies, ended
// runs: a capped run's success rate counts the operations the cap stopped
// as failures, so it is not the strategy's. It returns the line that says
// so, "" when no run was capped.
func (res *Result) cutShort(rows []Row) string {
	var names []string
	runs, capped := 0, 0
	caps := map[string]bool{}
	for _, r := range rows {
		runs += len(r.work)
		if r.Capped > 0 {
			names = append(names, r.Name)
			capped += r.Capped
		}
		for _, w := range r.work {
			if w.capped != "" {
				caps[w.capped] = true
			}
		}
	}
	if capped == 0 {
		return ""
	}
	for i := range rows {
		rows[i].Winner = false
	}
	var which []string
	for c := range caps {
		which = append(which, c)
	}
	res.Winner = ""
	res.Reason = fmt.Sprintf("none: %d of %d runs were cut short by a cap (%s), so success here counts operations the cap stopped; raise --max-duration or lower --ops for a verdict", capped, runs, strings.Join(slices.Sorted(slices.Values(which)), ", "))
	if len(names) <= 4 {
		return fmt.Sprintf("CUT SHORT: %s hit a cap in %d of %d runs; their rows are not the strategies' own results", strings.Join(names, ", "), capped, runs)
	}
	return fmt.Sprintf("CUT SHORT: %d strategies hit a cap in %d of %d runs; their rows are not the strategies' own results", len(names), capped, runs)
}
