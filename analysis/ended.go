package analysis

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ratelab/ratelab/internal/table"
	"github.com/ratelab/ratelab/record"
)

// EndedWidth is the most EndedLine writes: one line of a 120-column
// terminal.
const EndedWidth = 120

// endOrder is the order EndedLine names the reasons in; status-N and any
// other reason follow, sorted.
var endOrder = []string{record.ReasonOK, record.ReasonWaitPastCap, record.ReasonTimeCap, record.ReasonAttemptCap,
	record.ReasonRequestCap, record.ReasonStrategyStop, record.ReasonInterrupted, record.ReasonNotRun}

// EndedLine says why a run's operations ended, from the counts per
// reason of its operation records, in one line of at most EndedWidth
// columns: "ended: 80 ok, 20 stopped: the next wait (up to 5h12m) would end
// past --max-duration 2m". waitPastCap is the longest wait that ended an
// operation with reason wait-past-cap, maxDuration the run's cap (either
// 0 when unknown). It returns "" when no operation ended.
func EndedLine(ended map[string]int, waitPastCap, maxDuration time.Duration) string {
	if len(ended) == 0 {
		return ""
	}
	var reasons []string
	for _, r := range endOrder {
		if ended[r] > 0 {
			reasons = append(reasons, r)
		}
	}
	var rest []string
	for r, n := range ended {
		if n > 0 && !slices.Contains(endOrder, r) {
			rest = append(rest, r)
		}
	}
	slices.Sort(rest)
	reasons = append(reasons, rest...)
	// In words when that fits, else the reasons' names, with the longest
	// wait while that fits; cut short as a last resort.
	long, short, bare := make([]string, len(reasons)), make([]string, len(reasons)), make([]string, len(reasons))
	for i, r := range reasons {
		long[i] = endedLong(r, ended[r], waitPastCap, maxDuration)
		bare[i] = fmt.Sprintf("%d %s", ended[r], r)
		short[i] = bare[i]
		if r == record.ReasonWaitPastCap && waitPastCap > 0 {
			short[i] += " (up to " + table.Short(waitPastCap) + ")"
		}
	}
	var line string
	for _, parts := range [][]string{long, short, bare} {
		if line = "ended: " + strings.Join(parts, ", "); len([]rune(line)) <= EndedWidth {
			return line
		}
	}
	return string([]rune(line)[:EndedWidth-1]) + "…"
}

// endedLong says why n operations ended with reason r.
func endedLong(r string, n int, waitPastCap, maxDuration time.Duration) string {
	limit := "--max-duration"
	if maxDuration > 0 {
		limit += " " + table.Short(maxDuration)
	}
	switch r {
	case record.ReasonOK:
		return fmt.Sprintf("%d ok", n)
	case record.ReasonWaitPastCap:
		wait := "the next wait"
		switch {
		case waitPastCap > 0 && n == 1:
			wait += " (" + table.Short(waitPastCap) + ")"
		case waitPastCap > 0:
			wait += " (up to " + table.Short(waitPastCap) + ")"
		}
		return fmt.Sprintf("%d stopped: %s would end past %s", n, wait, limit)
	case record.ReasonTimeCap:
		return fmt.Sprintf("%d out of time (%s)", n, limit)
	case record.ReasonAttemptCap:
		return fmt.Sprintf("%d at --max-attempts", n)
	case record.ReasonRequestCap:
		return fmt.Sprintf("%d at --max-requests", n)
	case record.ReasonStrategyStop:
		return fmt.Sprintf("%d given up by the strategy", n)
	case record.ReasonInterrupted:
		return fmt.Sprintf("%d interrupted", n)
	case record.ReasonNotRun:
		return fmt.Sprintf("%d not run (the run stopped first)", n)
	}
	if status, ok := strings.CutPrefix(r, "status-"); ok {
		return fmt.Sprintf("%d failed with status %s", n, status)
	}
	return fmt.Sprintf("%d %s", n, r)
}

// reasonKey is the key an operation's reason is counted under: the
// reason itself when it is one the probe writes, else "other", so a log
// cannot grow the counts with a reason per line.
func reasonKey(r string) string {
	if slices.Contains(endOrder, r) {
		return r
	}
	if n, ok := strings.CutPrefix(r, "status-"); ok && len(n) == 3 && strings.Trim(n, "0123456789") == "" {
		return r
	}
	return "other"
}

// secsDuration is x seconds as a Duration.
func secsDuration(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }
