package probe

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/scenarios"
)

// dailyQuota is a Genesys-style quota: five requests an hour, an accurate
// Retry-After (up to an hour), and 10 ms per request so that all ten
// operations are in flight before the first answer.
const dailyQuota = `
name: quota
gateway:
  buckets: [{name: q, scope: global, algorithm: fixed-window, limit: 5/h, window: 1h}]
  routes: [{match: "*", buckets: [q]}]
  retry_after: {mode: accurate}
  faults: {latency: {dist: constant, mean: 10ms}}
workload: {operation: get-user, ops: 10, concurrency: 10, max_duration: 2m}
`

// endedOf counts the log's operation records by reason.
func endedOf(ops []record.Operation) map[string]int {
	m := map[string]int{}
	for _, o := range ops {
		m[o.Reason]++
	}
	return m
}

// TestWaitPastCapEndsAtOnce: a strategy that honours a Retry-After of
// about an hour, under a 2-minute cap, ends each throttled operation with
// wait-past-cap as soon as it decides, without sleeping toward the cap;
// the records keep the wait it asked for, and the run's cap is time-cap.
func TestWaitPastCapEndsAtOnce(t *testing.T) {
	sc := scenario(t, dailyQuota)
	res, l := virtualLogged(t, Options{Scenario: sc, Strategy: "retry-after", Params: map[string]string{"cap": "5h"}})
	s := res.Summary
	want := map[string]int{record.ReasonOK: 5, record.ReasonWaitPastCap: 5}
	if got := endedOf(l.operations); !maps.Equal(got, want) {
		t.Fatalf("operation records end as %v, want %v", got, want)
	}
	if !maps.Equal(s.Ended, want) || !maps.Equal(l.final.Summary.Ended, want) {
		t.Fatalf("summary ended %v, logged %v; want %v", s.Ended, l.final.Summary.Ended, want)
	}
	if s.CapReached != record.ReasonTimeCap || s.Failed != 5 || s.Unfinished != 0 {
		t.Fatalf("summary %+v: want 5 failed by the time cap", s)
	}
	if s.ElapsedNS > int64(time.Second) {
		t.Fatalf("the run took %v of virtual time: it slept toward the cap", time.Duration(s.ElapsedNS))
	}
	last := map[int]record.Attempt{}
	for _, a := range l.attempts {
		last[a.Op] = a
	}
	var longest int64
	for _, o := range l.operations {
		if o.Reason != record.ReasonWaitPastCap {
			continue
		}
		a := last[o.Op]
		if o.EndNS > int64(time.Second) || o.Attempts != 1 {
			t.Errorf("op %d ended at %v after %d attempts: want at once, after one", o.Op, time.Duration(o.EndNS), o.Attempts)
		}
		if a.Decision != record.DecisionRetry || a.WaitNS != o.WaitNS || o.WaitNS < int64(55*time.Minute) {
			t.Errorf("op %d: last attempt %s wait %v, operation wait %v: want the hour's wait kept", o.Op, a.Decision,
				time.Duration(a.WaitNS), time.Duration(o.WaitNS))
		}
		longest = max(longest, o.WaitNS)
	}
	if res.WaitPastCap != time.Duration(longest) || res.MaxDuration != 2*time.Minute {
		t.Errorf("result: wait past cap %v, max duration %v; want %v, 2m", res.WaitPastCap, res.MaxDuration, time.Duration(longest))
	}
}

// zeroQuota is dailyQuota answering Retry-After: 0, as the seed report's
// gateway did.
func zeroQuota(t *testing.T) *scenarios.Scenario {
	t.Helper()
	return scenario(t, strings.Replace(dailyQuota, "{mode: accurate}", "{mode: zero}", 1))
}

// TestNaiveStillEndsAtAttemptCap: naive sleeps exactly Retry-After, so
// against the quota's hour it ends by wait-past-cap; against Retry-After: 0
// it does not wait, re-sends at once, and the attempt cap ends its
// throttled operations as before.
func TestNaiveStillEndsAtAttemptCap(t *testing.T) {
	res, _ := virtualLogged(t, Options{Scenario: scenario(t, dailyQuota), Strategy: "naive", MaxAttempts: 4})
	if want := map[string]int{record.ReasonOK: 5, record.ReasonWaitPastCap: 5}; !maps.Equal(res.Summary.Ended, want) {
		t.Fatalf("naive against an hour's Retry-After: ended %v, want %v", res.Summary.Ended, want)
	}
	res, l := virtualLogged(t, Options{Scenario: zeroQuota(t), Strategy: "naive", MaxAttempts: 4})
	want := map[string]int{record.ReasonOK: 5, record.ReasonAttemptCap: 5}
	if got := endedOf(l.operations); !maps.Equal(got, want) || !maps.Equal(res.Summary.Ended, want) {
		t.Fatalf("operations end as %v, summary %v; want %v", got, res.Summary.Ended, want)
	}
	if res.Summary.CapReached != "" || res.WaitPastCap != 0 {
		t.Fatalf("summary %+v, wait past cap %v: no run cap was reached", res.Summary, res.WaitPastCap)
	}
}

// TestTimeRunsOutWhileWorking: an operation whose request is answered
// after the deadline ends with time-cap, not wait-past-cap, even when the
// strategy then asks for no wait at all.
func TestTimeRunsOutWhileWorking(t *testing.T) {
	res, l := virtualLogged(t, Options{Scenario: zeroQuota(t), Strategy: "naive", MaxAttempts: 1000, MaxRequests: 100000,
		MaxDuration: 205 * time.Millisecond})
	want := map[string]int{record.ReasonOK: 5, record.ReasonTimeCap: 5}
	if got := endedOf(l.operations); !maps.Equal(got, want) || !maps.Equal(res.Summary.Ended, want) {
		t.Fatalf("operations end as %v, summary %v; want %v", got, res.Summary.Ended, want)
	}
	if res.Summary.CapReached != record.ReasonTimeCap {
		t.Fatalf("summary %+v: want the time cap", res.Summary)
	}
}

// virtualLogged is virtualRun with the log parsed.
func virtualLogged(t *testing.T, o Options) (*Result, logged) {
	t.Helper()
	res, b := virtualRun(t, o)
	return res, parseLog(t, b)
}

// TestWaitPastCapLetsOthersRun: one operation's wait past the cap ends
// that operation only; the ones after it still run (here each meets the
// spent quota and ends the same way), so none is left not run.
func TestWaitPastCapLetsOthersRun(t *testing.T) {
	sc := scenario(t, dailyQuota)
	res, l := virtualLogged(t, Options{Scenario: sc, Strategy: "retry-after", Params: map[string]string{"cap": "5h"}, Concurrency: 1})
	want := map[string]int{record.ReasonOK: 5, record.ReasonWaitPastCap: 5}
	if got := endedOf(l.operations); !maps.Equal(got, want) || !maps.Equal(res.Summary.Ended, want) || res.Summary.Unfinished != 0 {
		t.Fatalf("one at a time: operations end as %v, summary %+v; want %v and none unfinished", got, res.Summary, want)
	}
	if res.Summary.CapReached != record.ReasonTimeCap {
		t.Fatalf("cap reached %q: the time cap ended five operations", res.Summary.CapReached)
	}
}

// TestPacerPastCapSaysSo: a pacing strategy whose pacer honours the
// hour-long Retry-After (adaptive pauses a minute at a time) holds the
// client past the 2-minute cap: the operation it holds ends wait-past-cap
// with the pacer's wait, and the operations the stopped run never began
// are counted as not run.
func TestPacerPastCapSaysSo(t *testing.T) {
	sc := scenario(t, dailyQuota)
	res, l := virtualLogged(t, Options{Scenario: sc, Strategy: "adaptive", Concurrency: 1})
	s := res.Summary
	var held *record.Operation
	for i, o := range l.operations {
		if o.Reason == record.ReasonWaitPastCap {
			held = &l.operations[i]
		}
	}
	if held == nil || held.WaitNS <= 0 || time.Duration(held.EndNS+held.WaitNS) <= 2*time.Minute || s.Ended[record.ReasonOK] != 5 ||
		s.Ended[record.ReasonNotRun] != s.Ops-len(l.operations) || s.Ended[record.ReasonNotRun] == 0 || s.CapReached != record.ReasonTimeCap {
		t.Fatalf("adaptive against an hourly quota: summary %+v, held %+v", s, held)
	}
}
