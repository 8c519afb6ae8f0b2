package probe

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/ratelab/ratelab/scenarios"
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

// heapAtEnd runs n operations of sc in virtual time and returns the live
// heap, after a collection, as the last operation finishes.
func heapAtEnd(t *testing.T, sc *scenarios.Scenario, n int) uint64 {
	t.Helper()
	var live uint64
	_, err := Probe(context.Background(), Options{Scenario: sc, Target: target.Spec{Virtual: true}, Ops: n, Log: io.Discard,
		MaxDuration: time.Hour, Progress: func(p Progress) {
			if p.Done == p.Total {
				var ms runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&ms)
				live = ms.HeapAlloc
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	return live
}

// TestVirtualMemoryFlat: a virtual run's live heap does not grow with
// the number of operations (work items were made up front: ~120 bytes
// each, ×5 in RSS at GOGC=400).
func TestVirtualMemoryFlat(t *testing.T) {
	sc, err := scenarios.Load("testdata/flat.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const small, large = 2000, 32000
	const maxPerOp = 16 // bytes of live heap per extra operation
	a, b := heapAtEnd(t, sc, small), heapAtEnd(t, sc, large)
	growth := int64(b) - int64(a)
	t.Logf("live heap %d bytes at %d operations, %d at %d", a, small, b, large)
	if growth > maxPerOp*(large-small) {
		t.Errorf("live heap grew %d bytes over %d operations (%.1f per operation, max %d)",
			growth, large-small, float64(growth)/(large-small), maxPerOp)
	}
}
