package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ratelab/ratelab/mockgateway/limit"
)

// Duration is a time.Duration written with a unit in YAML ("250ms", "60s").
// A bare number is an error, except 0.
type Duration time.Duration

func (d *Duration) parseScalar(s string) error {
	s = strings.TrimSpace(s)
	if s == "0" {
		*d = 0
		return nil
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return fmt.Errorf("%q has no unit (write e.g. %ss or %sms)", s, s, s)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration (e.g. 250ms, 60s, 1m30s)", s)
	}
	if v < 0 {
		return fmt.Errorf("%q is negative", s)
	}
	*d = Duration(v)
	return nil
}

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d the way it is written.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes d with its unit.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Rate is a rate written "300/min" or "5/s".
type Rate struct{ limit.Rate }

func (r *Rate) parseScalar(s string) error {
	v, err := limit.ParseRate(s)
	if err != nil {
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "limit: "))
	}
	if v.N <= 0 {
		return fmt.Errorf("rate %q must be positive", s)
	}
	r.Rate = v
	return nil
}

// MarshalText writes the rate as ParseRate reads it.
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.Rate.String()), nil }

// Limit is a bucket's limit: "tier" (from the client's tier), a rate such
// as "180/min", or a whole number for a concurrency bucket.
type Limit struct {
	FromTier bool
	Rate     limit.Rate
}

func (l *Limit) parseScalar(s string) error {
	s = strings.TrimSpace(s)
	if s == "tier" {
		l.FromTier = true
		return nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 {
			return fmt.Errorf("limit %d must be positive", n)
		}
		l.Rate = limit.Rate{N: float64(n)}
		return nil
	}
	var r Rate
	if err := r.parseScalar(s); err != nil {
		return fmt.Errorf("%v; a limit is \"tier\", a rate like 180/min, or a whole number for concurrency", err)
	}
	l.Rate = r.Rate
	return nil
}

// MarshalText writes the limit as it is read.
func (l Limit) MarshalText() ([]byte, error) {
	switch {
	case l.FromTier:
		return []byte("tier"), nil
	case l.Rate.Per == 0:
		return []byte(strconv.FormatFloat(l.Rate.N, 'f', -1, 64)), nil
	}
	return []byte(l.Rate.String()), nil
}
