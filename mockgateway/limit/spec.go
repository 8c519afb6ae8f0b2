package limit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Never is the wait reported when a request can never be admitted, for
// example because its cost exceeds the bucket's capacity.
const Never = time.Duration(math.MaxInt64)

// Scope says what a bucket is keyed by: one bucket state per distinct value.
type Scope int

// The scopes a bucket can have.
const (
	ScopeGlobal Scope = iota // one state for everything
	ScopeToken               // per access token
	ScopeClient              // per OAuth client
	ScopeUser                // per user the client acts for
	ScopeOrg                 // per organisation
	ScopeIP                  // per remote address
	ScopeRoute               // per route
)

var scopeNames = []string{"global", "token", "client", "user", "org", "ip", "route"}

// ScopeNames lists the valid scope names in a stable order.
func ScopeNames() []string { return append([]string(nil), scopeNames...) }

// String returns the scope's name as written in scenario files.
func (s Scope) String() string {
	if int(s) < len(scopeNames) {
		return scopeNames[s]
	}
	return "scope(" + strconv.Itoa(int(s)) + ")"
}

// ParseScope returns the scope named s.
func ParseScope(s string) (Scope, error) {
	for i, n := range scopeNames {
		if n == s {
			return Scope(i), nil
		}
	}
	return 0, fmt.Errorf("limit: unknown scope %q (valid: %s)", s, strings.Join(scopeNames, ", "))
}

// Algorithm is how a bucket counts requests.
type Algorithm int

// The algorithms a bucket can use.
const (
	TokenBucket   Algorithm = iota // refills at the limit's rate up to Burst tokens
	FixedWindow                    // at most the limit per window, windows aligned to multiples of Window
	SlidingWindow                  // at most the limit in any window-long interval (a sliding log)
	Concurrency                    // at most the limit's count of requests in flight
	// DailyQuota is a fixed window of one day (Limit.Per, time-compressed)
	// whose windows start at Reset past each multiple of the day: at most
	// the limit's count per day, the count going back to 0 at the reset
	// time (docs/genesys-rate-limits.md#daily-quotas).
	DailyQuota
)

var algorithmNames = []string{"token-bucket", "fixed-window", "sliding-window", "concurrency", "daily-quota"}

// AlgorithmNames lists the valid algorithm names in a stable order.
func AlgorithmNames() []string { return append([]string(nil), algorithmNames...) }

// String returns the algorithm's name as written in scenario files.
func (a Algorithm) String() string {
	if int(a) < len(algorithmNames) {
		return algorithmNames[a]
	}
	return "algorithm(" + strconv.Itoa(int(a)) + ")"
}

// ParseAlgorithm returns the algorithm named s.
func ParseAlgorithm(s string) (Algorithm, error) {
	for i, n := range algorithmNames {
		if n == s {
			return Algorithm(i), nil
		}
	}
	return 0, fmt.Errorf("limit: unknown algorithm %q (valid: %s)", s, strings.Join(algorithmNames, ", "))
}

// Rate is N events per Per. The zero value is no rate.
type Rate struct {
	N   float64
	Per time.Duration
}

// PerSecond returns the rate in events per second; 0 for the zero Rate.
func (r Rate) PerSecond() float64 {
	if r.Per <= 0 {
		return 0
	}
	return r.N / r.Per.Seconds()
}

// Scale returns the rate with its period divided by f: a time-compressed rate.
func (r Rate) Scale(f float64) Rate {
	if f <= 0 || f == 1 {
		return r
	}
	return Rate{N: r.N, Per: time.Duration(float64(r.Per) / f)}
}

// String formats the rate the way ParseRate reads it.
func (r Rate) String() string {
	n := strconv.FormatFloat(r.N, 'f', -1, 64)
	switch r.Per {
	case time.Second:
		return n + "/s"
	case time.Minute:
		return n + "/min"
	case time.Hour:
		return n + "/h"
	case 24 * time.Hour:
		return n + "/day"
	}
	return n + "/" + r.Per.String()
}

// ParseRate reads "300/min", "5/s", "2.5/s", "1000/h", "10/250ms" or "3000/1m".
func ParseRate(s string) (Rate, error) {
	num, per, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, fmt.Errorf("limit: rate %q is not of the form N/unit (e.g. 300/min, 5/s)", s)
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return Rate{}, fmt.Errorf("limit: rate %q: count %q is not a number", s, num)
	}
	if n < 0 {
		return Rate{}, fmt.Errorf("limit: rate %q is negative", s)
	}
	var d time.Duration
	switch strings.TrimSpace(per) {
	case "s", "sec", "second":
		d = time.Second
	case "m", "min", "minute":
		d = time.Minute
	case "h", "hour":
		d = time.Hour
	case "d", "day":
		d = 24 * time.Hour
	default:
		d, err = time.ParseDuration(strings.TrimSpace(per))
		if err != nil {
			return Rate{}, fmt.Errorf("limit: rate %q: unit %q is not s, min, h, day or a duration", s, per)
		}
		if d <= 0 {
			return Rate{}, fmt.Errorf("limit: rate %q: period must be positive", s)
		}
	}
	return Rate{N: n, Per: d}, nil
}

// Spec describes one bucket.
type Spec struct {
	Name      string
	Scope     Scope
	Algorithm Algorithm
	// Limit is the bucket's rate. For windowed algorithms the capacity is
	// Limit over Window; for Concurrency it is Limit.N in flight. Ignored
	// when FromTier is set.
	Limit Rate
	// FromTier takes the limit from the requesting client's tier, under the
	// bucket's name. Such a bucket keeps separate state for each tier.
	FromTier bool
	// Window is the window length for windowed algorithms; zero means
	// Limit.Per.
	Window time.Duration
	// Burst is the token bucket's capacity; zero means one second's worth
	// of the rate, and at least 1.
	Burst int
	// Namespace and Key name the limit in the 429 body, e.g. "directory"
	// and "user.rate.per.minute". Optional.
	Namespace, Key string
	// Reset is where a DailyQuota's day starts, as an offset from the
	// multiples of its window (the Unix epoch's midnights, UTC, when time
	// is not compressed): 7h resets the count at 07:00 UTC. Reduced modulo
	// the window; ignored by the other algorithms.
	Reset time.Duration
}

// Tier is a named set of limits, keyed by bucket name.
type Tier struct {
	Name   string
	Limits map[string]Rate
}

// Background is traffic the client cannot see, charged to one bucket state.
type Background struct {
	Bucket string
	// Key is the scope value charged (e.g. the org id); "" for global.
	Key string
	// Tier is the index of the tier whose limit applies when the bucket's
	// limit comes from tiers.
	Tier int
	Rate Rate
	// Poisson draws exponential gaps; otherwise arrivals are evenly spaced.
	Poisson bool
}

// Config is everything New needs to build a Model.
type Config struct {
	Buckets    []Spec
	Tiers      []Tier
	Background []Background
	// Seed makes Poisson background load reproducible.
	Seed uint64
}
