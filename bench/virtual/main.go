// Command virtual measures virtual-time simulation speed: simulated
// attempts per wall-clock second for an hour of traffic at 100 req/s, for
// a heavily throttled run, and for a whole parallel comparison — against a
// baseline measured in the same run: the same client and gateway driven
// as fast as they go in real time over loopback sockets.
//
//	go run ./bench/virtual [-d 5s]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/ratelab/ratelab/compare"
	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/scenarios"
)

// hour is a scenario whose limits stay out of the way: one request per
// operation, 10 ms of latency, 100 operations a second for an hour.
const hour = `name: bench-hour
description: An hour of unthrottled traffic at 100 requests per second.
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

const target = 200000 // simulated attempts per wall-clock second

func main() {
	dur := flag.Duration("d", 5*time.Second, "duration of the real-time baseline")
	flag.Parse()
	if err := run(*dur); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(dur time.Duration) error {
	ctx := context.Background()
	hr, err := scenarios.Parse("bench-hour.yaml", []byte(hour))
	if err != nil {
		return err
	}
	seed, err := scenarios.Embedded("seed-eu-identity")
	if err != nil {
		return err
	}

	// Baseline: real time over loopback, closed loop, as fast as it goes.
	base := *hr
	base.Workload.Ops = 200000 // more than the duration allows; the time cap ends it
	base.Gateway.Faults.Latency = nil
	base.Workload.Rate = nil // closed loop
	start := time.Now()
	res, err := probe.Probe(ctx, probe.Options{Scenario: &base, Concurrency: 32, MaxDuration: dur, MaxRequests: 1 << 30, Seed: 1})
	if err != nil {
		return err
	}
	real := float64(res.Summary.Attempts) / time.Since(start).Seconds()
	fmt.Printf("baseline: real time over loopback, 32 workers: %.0f attempts/s\n", real)

	report := func(what string, attempts int, el time.Duration) float64 {
		rate := float64(attempts) / el.Seconds()
		verdict := "meets"
		if rate < target {
			verdict = "short of"
		}
		fmt.Printf("%s: %d attempts in %.2fs = %.0f attempts/s (%.1f× the baseline; %s the %d/s target)\n",
			what, attempts, el.Seconds(), rate, rate/real, verdict, target)
		return rate
	}

	// Single runs with the settings `ratelab probe --virtual` uses.
	restore := probe.TuneRuntime(1)
	start = time.Now()
	res, err = probe.Probe(ctx, probe.Options{Scenario: hr, Virtual: true, Seed: 1, MaxDuration: 2 * time.Hour, MaxRequests: 1 << 30})
	if err != nil {
		return err
	}
	report("virtual, an hour at 100 req/s (one run, one core)", res.Summary.Attempts, time.Since(start))

	start = time.Now()
	res, err = probe.Probe(ctx, probe.Options{Scenario: seed, Strategy: "naive", Ops: 4000, Virtual: true, Seed: 1})
	if err != nil {
		return err
	}
	report("virtual, seed-eu-identity with naive, 4,000 ops (mostly 429s)", res.Summary.Attempts, time.Since(start))
	restore()

	// A comparison with the settings `ratelab compare` uses.
	defer probe.TuneRuntime(0)()

	start = time.Now()
	cmp, err := compare.Run(ctx, compare.Options{Scenario: seed, Seeds: 2, Ops: 2000})
	if err != nil {
		return err
	}
	attempts := 0.0
	for _, r := range cmp.Rows {
		attempts += r.Attempts.Mean * 2
	}
	report(fmt.Sprintf("compare, 14 strategies × 2 seeds × 2,000 ops (%d cores)", runtime.GOMAXPROCS(0)), int(attempts), time.Since(start))
	return nil
}
