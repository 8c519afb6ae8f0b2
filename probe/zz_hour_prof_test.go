package probe

import (
	"context"
	"testing"
	"time"

	"github.com/ratelab/ratelab/scenarios"
)

const hourSrc = `name: bench-hour
description: x
seed: 9
gateway:
  buckets:
    - {name: token, scope: token, algorithm: token-bucket, limit: 10000000/min, burst: 100000}
  routes:
    - {match: "*", buckets: [token]}
  users: {count: 1000}
  faults:
    latency: {dist: constant, value: 10ms}
workload: {operation: get-user, ops: 360000, rate: 100/s, strategy: retry-after}
`

func BenchmarkHourTmp(b *testing.B) {
	defer TuneRuntime(1)()
	sc, err := scenarios.Parse("h.yaml", []byte(hourSrc))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	attempts := 0
	for i := 0; i < b.N; i++ {
		res, err := Probe(context.Background(), Options{Scenario: sc, Virtual: true, Seed: 1, MaxDuration: 2 * time.Hour, MaxRequests: 1 << 30})
		if err != nil {
			b.Fatal(err)
		}
		attempts += res.Summary.Attempts
	}
	b.ReportMetric(float64(attempts)/b.Elapsed().Seconds(), "attempts/s")
}
