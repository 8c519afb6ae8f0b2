// Command probe measures the probe's runner against a fast local target:
// open-loop rate accuracy (achieved rate and the lag between intended and
// actual send at 2,000 req/s), and closed-loop throughput compared with
// vegeta's attacker on the same target in the same run.
//
//	go run ./bench/probe [-rate 2000] [-d 10s] [-c 32]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"sort"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/probe/client"
	"github.com/ratelab/ratelab/probe/strategy"
	"github.com/ratelab/ratelab/record"
)

func main() {
	rate := flag.Float64("rate", 2000, "open-loop rate, requests per second")
	dur := flag.Duration("d", 10*time.Second, "duration of each measurement")
	conns := flag.Int("c", 32, "closed-loop workers")
	flag.Parse()
	if err := run(*rate, *dur, *conns); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// target is a fast local API: a token endpoint and one user.
func target() (string, func(), error) {
	user := []byte(`{"id":"u1","name":"Ada Lovelace","email":"ada@example.com","department":"Sales","version":1}` + "\n")
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"bench","token_type":"bearer","expires_in":86399}`)
	})
	mux.HandleFunc("GET /api/v2/users/{id}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(user)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

func agent(base string, conns int) *probe.Agent {
	pol, _ := strategy.New("none", nil)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns * 4, MaxConnsPerHost: 0}}
	return &probe.Agent{Name: "bench", Client: client.New(base, "bench", "x", hc), Policy: pol, Rand: rand.New(rand.NewPCG(1, 1))}
}

func work(n int) probe.Items {
	items := make(probe.Items, n)
	for i := range items {
		items[i] = probe.Item{User: "u1"}
	}
	return items
}

func run(rate float64, dur time.Duration, conns int) error {
	base, stop, err := target()
	if err != nil {
		return err
	}
	defer stop()

	// Open loop: rate accuracy and send lag.
	n := int(rate * dur.Seconds())
	var log bytes.Buffer
	sum, err := probe.Run(context.Background(), probe.Config{Agents: []*probe.Agent{agent(base, conns)}, Operation: "get-user",
		Work: work(n), Rate: rate, MaxAttempts: 1, MaxRequests: n, MaxDuration: dur + 30*time.Second, Grace: time.Second, Log: &log})
	if err != nil {
		return err
	}
	var lags []time.Duration
	var first, last int64 = -1, 0
	sc := bufio.NewScanner(&log)
	for sc.Scan() {
		var a record.Attempt
		if json.Unmarshal(sc.Bytes(), &a) != nil || a.Type != record.TypeAttempt {
			continue
		}
		lags = append(lags, time.Duration(a.SentNS-a.IntendedNS))
		if first < 0 || a.SentNS < first {
			first = a.SentNS
		}
		last = max(last, a.SentNS)
	}
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	achieved := float64(len(lags)-1) / (float64(last-first) / 1e9)
	p99 := lags[len(lags)*99/100]
	fmt.Printf("open loop: target %.0f req/s for %v: achieved %.1f req/s (%.2f%% off), send lag p50 %v p99 %v, %d ok of %d\n",
		rate, dur, achieved, 100*(achieved-rate)/rate, lags[len(lags)/2], p99, sum.Succeeded, n)

	// Closed loop: probe vs vegeta, best of two each.
	var bestProbe, bestVegeta float64
	for i := 0; i < 2; i++ {
		bestProbe = max(bestProbe, closedProbe(base, conns, dur))
		bestVegeta = max(bestVegeta, closedVegeta(base, conns, dur))
	}
	fmt.Printf("closed loop, %d workers: probe %.0f req/s, vegeta %.0f req/s, ratio %.2f (target >= 0.80)\n",
		conns, bestProbe, bestVegeta, bestProbe/bestVegeta)

	var fails []string
	if d := (achieved - rate) / rate; d < -0.01 || d > 0.01 {
		fails = append(fails, fmt.Sprintf("achieved rate %.1f is not within 1%% of %.0f", achieved, rate))
	}
	if p99 >= 5*time.Millisecond {
		fails = append(fails, fmt.Sprintf("p99 send lag %v >= 5ms", p99))
	}
	if bestProbe/bestVegeta < 0.8 {
		fails = append(fails, fmt.Sprintf("closed-loop ratio %.2f < 0.80", bestProbe/bestVegeta))
	}
	if len(fails) > 0 {
		return fmt.Errorf("%v", fails)
	}
	return nil
}

func closedProbe(base string, conns int, dur time.Duration) float64 {
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	// Enough work for twice vegeta's rate here; the context ends the run.
	n := int(80000 * dur.Seconds())
	items := work(n)
	start := time.Now()
	sum, _ := probe.Run(ctx, probe.Config{Agents: []*probe.Agent{agent(base, conns)}, Operation: "get-user", Work: items,
		Concurrency: conns, MaxAttempts: 1, MaxRequests: n, MaxDuration: time.Hour, Grace: time.Second, Log: io.Discard})
	return float64(sum.Succeeded) / time.Since(start).Seconds()
}

func closedVegeta(base string, conns int, dur time.Duration) float64 {
	hdr := http.Header{"Authorization": {"Bearer bench"}}
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: base + "/api/v2/users/u1", Header: hdr})
	a := vegeta.NewAttacker(vegeta.Workers(uint64(conns)), vegeta.MaxWorkers(uint64(conns)), vegeta.KeepAlive(true), vegeta.Connections(conns*4))
	ok := 0
	start := time.Now()
	for res := range a.Attack(tr, vegeta.ConstantPacer{}, dur, "bench") {
		if res.Code == 200 {
			ok++
		}
	}
	return float64(ok) / time.Since(start).Seconds()
}
