package probe

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ratelab/ratelab/target"
)

// TestNegativeOptionsRefused: a negative count, rate or duration is bad
// usage before anything runs (--concurrency -3 used to run at the
// scenario's rate and crash printing its summary).
func TestNegativeOptionsRefused(t *testing.T) {
	sc := fastSeed(t)
	for name, o := range map[string]Options{
		"concurrency":  {Concurrency: -3},
		"ops":          {Ops: -5},
		"max-attempts": {MaxAttempts: -1},
		"max-requests": {MaxRequests: -1},
		"max-duration": {MaxDuration: -time.Second},
		"rate":         {Rate: -1},
	} {
		o.Scenario, o.Target = sc, target.Spec{Virtual: true}
		if _, err := Probe(context.Background(), o); !errors.Is(err, ErrUsage) {
			t.Errorf("%s: err = %v, want a usage error", name, err)
		}
	}
}
