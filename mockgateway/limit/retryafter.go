package limit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryAfterMode is how a gateway turns a wait into a Retry-After hint.
type RetryAfterMode int

// The Retry-After modes. Accurate and Ceil both round the wait up to whole
// seconds, the only honest integer answer.
const (
	Accurate RetryAfterMode = iota // seconds, rounded up
	Ceil                           // same as Accurate
	Floor                          // seconds, rounded down: short waits read 0
	Zero                           // always 0
	Missing                        // no header at all
	Fixed                          // a constant number of seconds
	Random                         // uniform whole seconds in [Min, Max]
	Date                           // an HTTP-date: now plus the wait rounded up
	Body                           // no header; the seconds only in the JSON body's retry_after
	Mix                            // one of several policies, drawn with probabilities
)

var modeNames = []string{"accurate", "ceil", "floor", "zero", "missing", "fixed", "random", "date", "body", "mix"}

// RetryAfterModeNames lists the valid mode names.
func RetryAfterModeNames() []string { return append([]string(nil), modeNames...) }

// String returns the mode's name as written in scenario files.
func (m RetryAfterMode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return "mode(" + strconv.Itoa(int(m)) + ")"
}

// ParseRetryAfterMode returns the mode named s.
func ParseRetryAfterMode(s string) (RetryAfterMode, error) {
	for i, n := range modeNames {
		if n == s {
			return RetryAfterMode(i), nil
		}
	}
	return 0, fmt.Errorf("limit: unknown retry_after mode %q (valid: %s)", s, strings.Join(modeNames, ", "))
}

// RetryAfter is a policy for the Retry-After a gateway sends. The zero value
// is Accurate.
type RetryAfter struct {
	Mode RetryAfterMode
	// Value is the constant for Fixed.
	Value time.Duration
	// Min and Max bound Random.
	Min, Max time.Duration
	// Choices are drawn from for Mix, each with weight P.
	Choices []Weighted
}

// Weighted is one choice of a Mix policy.
type Weighted struct {
	P      float64
	Policy RetryAfter
}

// Hint is what a gateway says about a wait.
type Hint struct {
	// Header is the Retry-After header value; "" means no header.
	Header string
	// Seconds is the whole number of seconds the body's message states.
	Seconds int64
	// BodyField reports whether the body should carry "retry_after".
	BodyField bool
}

// maxHintSeconds caps hints for waits that never end.
const maxHintSeconds = 86400

func ceilSeconds(d time.Duration) int64 {
	if d >= Never/2 {
		return maxHintSeconds
	}
	s := int64(math.Ceil(d.Seconds()))
	return min(s, maxHintSeconds)
}

// Apply returns the hint for a request that must wait wait, drawing from rng
// for Random and Mix. rng may be nil for the other modes.
func (p *RetryAfter) Apply(now time.Time, wait time.Duration, rng *rand.Rand) Hint {
	secs := func(n int64) Hint { return Hint{Header: strconv.FormatInt(n, 10), Seconds: n} }
	switch p.Mode {
	case Floor:
		if wait >= Never/2 {
			return secs(maxHintSeconds)
		}
		return secs(int64(wait / time.Second))
	case Zero:
		return secs(0)
	case Missing:
		return Hint{Seconds: ceilSeconds(wait)}
	case Fixed:
		return secs(ceilSeconds(p.Value))
	case Random:
		lo, hi := ceilSeconds(p.Min), ceilSeconds(p.Max)
		if hi <= lo || rng == nil {
			return secs(lo)
		}
		return secs(lo + rng.Int64N(hi-lo+1))
	case Date:
		n := ceilSeconds(wait)
		// HTTP-dates have one-second resolution: round the instant up so the
		// date is never before the true admission time.
		at := now.Add(time.Duration(n) * time.Second).UTC()
		if at.Nanosecond() > 0 {
			at = at.Truncate(time.Second).Add(time.Second)
		}
		return Hint{Header: at.Format(http.TimeFormat), Seconds: n}
	case Body:
		return Hint{Seconds: ceilSeconds(wait), BodyField: true}
	case Mix:
		if len(p.Choices) == 0 {
			return secs(ceilSeconds(wait))
		}
		total := 0.0
		for _, c := range p.Choices {
			total += c.P
		}
		x := 0.0
		if rng != nil {
			x = rng.Float64() * total
		}
		for i := range p.Choices {
			x -= p.Choices[i].P
			if x < 0 || i == len(p.Choices)-1 {
				return p.Choices[i].Policy.Apply(now, wait, rng)
			}
		}
	}
	return secs(ceilSeconds(wait))
}
