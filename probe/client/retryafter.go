package client

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter is the longest Retry-After ParseRetryAfter accepts; longer
// hints are treated as junk rather than obeyed.
const MaxRetryAfter = 24 * time.Hour

// ParseRetryAfter reads a Retry-After value as RFC 9110 defines it: a
// non-negative whole number of seconds (delay-seconds) or an HTTP-date in
// any of its three forms (IMF-fixdate, obsolete RFC 850, asctime), relative
// to now. A date in the past means 0. It reports false for anything else:
// empty, negative, fractional, non-numeric, or longer than MaxRetryAfter.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		for i := 0; i < len(v); i++ {
			if v[i] < '0' || v[i] > '9' {
				return 0, false
			}
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > int64(MaxRetryAfter/time.Second) {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d < 0 {
		return 0, true
	}
	if d > MaxRetryAfter {
		return 0, false
	}
	return d, true
}
