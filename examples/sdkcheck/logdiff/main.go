// Command logdiff compares two gateway access logs of the same scenario,
// one from a real client and one from the ratelab strategy that models
// it: requests per operation (for operations that met a 429 or 503) and
// the gap after each 429/503 until the next request, which must agree
// within 10% or 50 ms. It exits 1 when they disagree.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"time"
)

type request struct {
	Type      string `json:"type"`
	T         int64  `json:"t"`
	LatencyNS int64  `json:"latency_ns"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	Status    int    `json:"status"`
}

// pattern is what a log says about a client's retry.
type pattern struct {
	ops, hitOps int
	counts      map[int]int     // requests per operation that met a 429/503 → operations
	gaps        []time.Duration // after each 429/503, in order of retry within its operation
	byIndex     map[int][]time.Duration
}

func read(path string) (*pattern, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ops [][]request
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r request
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.Type != "request" || strings.HasPrefix(r.Path, "/oauth") {
			continue
		}
		// One operation at a time: a new path starts a new operation.
		if n := len(ops); n == 0 || ops[n-1][0].Path != r.Path {
			ops = append(ops, nil)
		}
		ops[len(ops)-1] = append(ops[len(ops)-1], r)
	}
	p := &pattern{ops: len(ops), counts: map[int]int{}, byIndex: map[int][]time.Duration{}}
	for _, op := range ops {
		k := 0
		for i, r := range op {
			if (r.Status == 429 || r.Status == 503) && i+1 < len(op) {
				gap := time.Duration(op[i+1].T - r.T - r.LatencyNS)
				p.gaps = append(p.gaps, gap)
				p.byIndex[k] = append(p.byIndex[k], gap)
				k++
			}
		}
		for _, r := range op {
			if r.Status == 429 || r.Status == 503 {
				p.counts[len(op)]++
				p.hitOps++
				break
			}
		}
	}
	return p, sc.Err()
}

func mode(m map[int]int) int {
	best, n := 0, -1
	for k, v := range m {
		if v > n || v == n && k < best {
			best, n = k, v
		}
	}
	return best
}

func mean(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	var s time.Duration
	for _, d := range ds {
		s += d
	}
	return s / time.Duration(len(ds))
}

func close(a, b time.Duration) bool {
	d := math.Abs(float64(a - b))
	return d <= float64(50*time.Millisecond) || d <= 0.1*math.Max(float64(a), float64(b))
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: logdiff NAME REAL.jsonl STRATEGY.jsonl")
		os.Exit(2)
	}
	real, err := read(os.Args[2])
	if err == nil {
		var strat *pattern
		if strat, err = read(os.Args[3]); err == nil {
			os.Exit(report(os.Args[1], real, strat))
		}
	}
	fmt.Fprintln(os.Stderr, "logdiff:", err)
	os.Exit(2)
}

func report(name string, real, strat *pattern) int {
	ok := real.hitOps > 0 && strat.hitOps > 0 && mode(real.counts) == mode(strat.counts)
	fmt.Printf("%s: operations that met a 429/503: real %d, strategy %d; requests per such operation (mode): real %d %v, strategy %d %v\n",
		name, real.hitOps, strat.hitOps, mode(real.counts), real.counts, mode(strat.counts), strat.counts)
	var idx []int
	for k := range real.byIndex {
		idx = append(idx, k)
	}
	sort.Ints(idx)
	for _, k := range idx {
		r, s := real.byIndex[k], strat.byIndex[k]
		if len(s) == 0 {
			continue
		}
		agree := close(mean(r), mean(s))
		ok = ok && agree
		fmt.Printf("  gap after retry %2d's 429/503: real %8v (n=%d), strategy %8v (n=%d) %s\n", k+1,
			mean(r).Round(time.Millisecond), len(r), mean(s).Round(time.Millisecond), len(s), map[bool]string{true: "ok", false: "DIFFERS"}[agree])
	}
	if !ok {
		fmt.Printf("%s: DIFFERS\n", name)
		return 1
	}
	fmt.Printf("%s: agrees\n", name)
	return 0
}
