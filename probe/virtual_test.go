package probe

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/ratelab/ratelab/target"
)

func virtualRun(t *testing.T, o Options) (*Result, []byte) {
	t.Helper()
	var buf bytes.Buffer
	o.Log, o.Target.Virtual = &buf, true
	res, err := Probe(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return res, buf.Bytes()
}

// TestVirtualDeterministic: the same scenario and seed give a
// byte-identical attempt log; another seed gives a different one.
func TestVirtualDeterministic(t *testing.T) {
	sc := fastSeed(t)
	start := time.Now()
	_, a := virtualRun(t, Options{Scenario: sc, Strategy: "full-jitter", Ops: 200, Seed: 7})
	_, b := virtualRun(t, Options{Scenario: sc, Strategy: "full-jitter", Ops: 200, Seed: 7})
	_, c := virtualRun(t, Options{Scenario: sc, Strategy: "full-jitter", Ops: 200, Seed: 8})
	if !bytes.Equal(a, b) {
		t.Fatal("same seed, different attempt logs")
	}
	if bytes.Equal(a, c) {
		t.Fatal("different seeds, identical attempt logs")
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("three virtual runs took %v", el)
	}
}

// BenchmarkVirtualAttempts measures simulated attempts per wall-clock
// second: the seed scenario in virtual time with naive (many 429s), no
// logs written, with the runtime settings `ratelab probe --virtual` uses
// (one processor: a single run is sequential).
func BenchmarkVirtualAttempts(b *testing.B) {
	defer TuneRuntime(1)()
	src, _ := scenariosSource()
	sc := mustParse(b, src)
	b.ReportAllocs()
	attempts := 0
	for i := 0; i < b.N; i++ {
		res, err := Probe(context.Background(), Options{Scenario: sc, Strategy: "naive", Ops: 2000, Seed: uint64(i + 1), Target: target.Spec{Virtual: true}})
		if err != nil {
			b.Fatal(err)
		}
		attempts += res.Summary.Attempts
	}
	b.ReportMetric(float64(attempts)/b.Elapsed().Seconds(), "attempts/s")
	b.ReportMetric(float64(attempts)/float64(b.N), "attempts/op")
}
