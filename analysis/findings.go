package analysis

import (
	"fmt"
	"sort"
	"time"

	"github.com/ratelab/ratelab/internal/table"
)

var severityRank = map[string]float64{"high": 3, "medium": 2, "low": 1, "info": 0}

func pct(x float64) string { return fmt.Sprintf("%.0f%%", 100*x) }

// findingList collects findings in the order they are found; the sort
// keeps that order among equal ranks.
type findingList []Finding

func (fs *findingList) add(sev string, weight float64, title, format string, args ...any) {
	*fs = append(*fs, Finding{Severity: sev, Title: title, Detail: fmt.Sprintf(format, args...), rank: severityRank[sev]*1e9 + weight})
}

// findings derives plain-language conclusions from a run, ranked by
// severity and then by how many requests they concern.
func findings(r *Run) []Finding {
	var fs findingList
	if r.Unfinished {
		fs.add("high", 1e6, "the log is unfinished",
			"The log ends without its closing record: the run was stopped before it finished writing (killed, crashed, or its disk filled), so these figures cover only what it recorded.")
	}
	fs.retryAfter(r.RetryAfter)
	fs.buckets(r.Buckets)
	if r.Metrics != nil {
		fs.metrics(r.Metrics)
	}
	fs.clients(r.Clients)
	fs.patterns(r)
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].rank > fs[j].rank })
	return fs
}

// retryAfter judges the hints sent with 429s.
func (fs *findingList) retryAfter(ra RetryAfterStats) {
	if ra.Throttled == 0 {
		fs.add("info", 0, "no 429s", "No request was rate limited.")
	}
	if ra.Throttled >= 5 && ra.ZeroFraction >= 0.2 {
		if ra.Compared > 0 && ra.MeanTrueWait > 0 {
			fs.add("high", float64(ra.Throttled), "Retry-After: 0 is wrong",
				"Retry-After was 0 on %s of 429s while the true wait averaged %.1f s: the gateway's hint is wrong here, so do not retry immediately on 0.",
				pct(ra.ZeroFraction), ra.MeanTrueWait)
		} else {
			fs.add("high", float64(ra.Throttled), "Retry-After: 0 is wrong",
				"Retry-After was 0 on %s of %d 429s, yet the 429s kept coming: a zero hint is not a real wait here, so back off instead of retrying at once.",
				pct(ra.ZeroFraction), ra.Throttled)
		}
	}
	if ra.Long > 0 {
		fs.add("high", float64(ra.Long)*1e3, "a quota or a long window",
			"%d 429s said to wait over 3 minutes (up to %s): a daily quota or a long window is spent, and no retry within the run can succeed. Stop and resume after the reset, or spread the work over days; the official SDKs give up on waits this long.",
			ra.Long, table.Short(time.Duration(ra.Longest)*time.Second))
	}
	if ra.Compared >= 5 && ra.ShortFraction >= 0.3 && ra.MeanTrueWait > ra.MeanHint {
		fs.add("medium", float64(ra.Compared), "Retry-After understates the wait",
			"On %s of 429s the hint was shorter than the real wait (mean hint %.1f s, mean true wait %.1f s): another limit than the one reported was also exhausted, or the hint is rounded down.",
			pct(ra.ShortFraction), ra.MeanHint, ra.MeanTrueWait)
	}
}

// buckets names the buckets that refused requests: shared ones, and
// tighter ones stacked on a wider one.
func (fs *findingList) buckets(buckets []BucketStats) {
	var maxLimit float64
	var widest BucketStats
	for _, b := range buckets {
		if b.Limit > maxLimit {
			maxLimit, widest = b.Limit, b
		}
	}
	desc := func(b BucketStats) string {
		if b.Spec != "" {
			return fmt.Sprintf("%q (%s)", b.Name, b.Spec)
		}
		return fmt.Sprintf("%q (capacity %g)", b.Name, b.Limit)
	}
	for _, b := range buckets {
		if b.Rejected == 0 {
			continue
		}
		if b.Background > 0 {
			fs.add("high", float64(b.Rejected), "shared bucket: "+b.Name,
				"Bucket %q is shared: %d requests you did not send (other traffic on the same bucket) drained it, and it refused %d of yours. Your own rate is not the whole story: pace below what the others leave you.",
				b.Name, b.Background, b.Rejected)
		}
		if len(buckets) > 1 && b.Limit < maxLimit {
			fs.add("high", float64(b.Rejected), "secondary bucket: "+b.Name,
				"%d 429s came from bucket %s, a tighter limit stacked on the same request, not the wider %s you may be watching.",
				b.Rejected, desc(b), desc(widest))
		} else if b.Background == 0 {
			fs.add("medium", float64(b.Rejected), "bucket "+b.Name+" limited",
				"Bucket %s refused %d requests.", desc(b), b.Rejected)
		}
	}
}

// metrics judges the client-side figures.
func (fs *findingList) metrics(m *Metrics) {
	if m.Failed > 0 {
		fs.add("high", float64(m.Failed), "operations failed",
			"%d of %d operations failed (success rate %s).", m.Failed, m.Ops, pct(m.SuccessRate))
	}
	if m.ImmediateRetries >= 5 {
		fs.add("high", float64(m.ImmediateRetries), "retry storm",
			"%d retries went out within 50 ms of a 429; %s of all attempts were throttled. Each one spends capacity that a paced retry would not.",
			m.ImmediateRetries, pct(m.Ratio429))
	}
	if m.PrematureRetries > 0 {
		fs.add("medium", float64(m.PrematureRetries), "premature retries",
			"%d retries were sent before the Retry-After they were given had passed.", m.PrematureRetries)
	}
	if m.Attempts > 0 && m.SuccessRate-m.AttemptSuccess >= 0.2 {
		fs.add("medium", float64(m.Attempts), "retries are doing the work",
			"Only %s of attempts succeeded though %s of operations did: amplification %.2f.", pct(m.AttemptSuccess), pct(m.SuccessRate), m.Amplification)
	}
	if m.Efficiency != nil && *m.Efficiency < 0.8 && m.SuccessRate < 1 {
		fs.add("low", 0, "capacity left unused",
			"Goodput was %.2f ops/s, %s of the capacity the scenario left for this client.", m.Goodput, pct(*m.Efficiency))
	}
}

// clients names the clients that retried too soon (server view).
func (fs *findingList) clients(clients []ClientStats) {
	for _, c := range clients {
		if c.ImmediateRetries >= 5 {
			fs.add("high", float64(c.ImmediateRetries), "retry storm from "+c.Client,
				"Client %q retried within 50 ms of a 429 %d times (mean gap %.2f s after hints of %.1f s on average).", c.Client, c.ImmediateRetries, c.MeanGap, c.MeanHint)
		}
		if c.PrematureRetries > 0 {
			fs.add("medium", float64(c.PrematureRetries), "premature retries from "+c.Client,
				"Client %q sent %d of its %d retries before the Retry-After it was given had passed.", c.Client, c.PrematureRetries, c.Retries)
		}
	}
}

// patterns reports the shapes in time: retry waves, long 429 bursts, a
// fixed window and the rate admitted while throttled.
func (fs *findingList) patterns(r *Run) {
	if r.Waves.Waves > 0 {
		fs.add("medium", float64(r.Waves.Waves), "synchronised retry waves",
			"%d bursts of retries far above chance (peak %d retries in 100 ms at %.1f s, mean %.1f): clients wake up together; add jitter.",
			r.Waves.Waves, r.Waves.Peak, r.Waves.PeakTime, r.Waves.MeanPer)
	}
	if r.Bursts.Longest >= 10 {
		fs.add("low", float64(r.Bursts.Longest), "long 429 bursts",
			"%d bursts of consecutive 429s, the longest %d in a row (mean %.1f).", r.Bursts.Count, r.Bursts.Longest, r.Bursts.Mean)
	}
	if w := r.FixedWindow; w != nil {
		fs.add("info", float64(w.Streaks), "fixed-window signature",
			"%s of %d 429 streaks ended at a %g s window boundary: the limit behaves like a fixed window.", pct(w.Aligned), w.Streaks, w.Window)
	}
	if l := r.LimitSeen; l != nil {
		fs.add("info", float64(l.Seconds), "limit seen",
			"While throttled, requests were admitted at about %.1f/s (%.0f/min) over %d seconds.", l.PerSecond, l.PerMinute, l.Seconds)
	}
}
