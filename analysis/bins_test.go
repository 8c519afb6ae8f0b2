package analysis

import (
	"maps"
	"math"
	"math/rand/v2"
	"testing"
)

// countsOf fills counts from m, in map order.
func countsOf(m map[int64]int) *counts {
	var c counts
	for k, n := range m {
		for range n {
			c.add(k)
		}
	}
	return &c
}

// asMap returns c's non-zero bins as a map, checking that they come in
// order of bin.
func (c *counts) asMap(t *testing.T) map[int64]int {
	m := map[int64]int{}
	prev := int64(math.MinInt64)
	c.eachNonZero(func(k int64, n int) {
		if k <= prev {
			t.Fatalf("bin %d after bin %d", k, prev)
		}
		prev, m[k] = k, n
	})
	return m
}

// asMap returns the ticks that counted an outcome, checking that they
// come in order of tick.
func (tb *tickBins) asMap(t *testing.T) map[int64]*Bin {
	m := map[int64]*Bin{}
	prev := int64(math.MinInt64)
	tb.eachUsed(func(k int64, b *Bin) {
		if k <= prev {
			t.Fatalf("tick %d after tick %d", k, prev)
		}
		prev, m[k] = k, b
	})
	return m
}

// TestBinsMatchMaps: counts and tickBins hold what a map would, for bins
// in the dense range, negative ones and huge ones alike.
func TestBinsMatchMaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var c counts
	var tb tickBins
	want, wantTicks := map[int64]int{}, map[int64]Bin{}
	for i := 0; i < 5000; i++ {
		var b int64
		switch rng.IntN(4) {
		case 0:
			b = -rng.Int64N(1000) - 1
		case 1:
			b = maxDense + rng.Int64N(1<<40)
		default:
			b = rng.Int64N(3000)
		}
		c.add(b)
		want[b]++
		x := tb.at(b)
		x.OK++
		w := wantTicks[b]
		w.OK++
		wantTicks[b] = w
	}
	if got := c.asMap(t); !maps.Equal(got, want) {
		t.Fatalf("counts: %d bins, want %d", len(got), len(want))
	}
	got := tb.asMap(t)
	if len(got) != len(wantTicks) {
		t.Fatalf("ticks: %d, want %d", len(got), len(wantTicks))
	}
	for k, b := range got {
		if *b != wantTicks[k] {
			t.Fatalf("tick %d: %+v, want %+v", k, *b, wantTicks[k])
		}
	}
	if len(c.dense) > 3000 {
		t.Fatalf("dense part grew to %d for bins below 3000", len(c.dense))
	}
}

// TestBinsDenseFollowsRecords: a few records far apart stay in the map;
// as records fill the bins below one, the slice grows over it and takes
// its count, and no bin is counted in both places.
func TestBinsDenseFollowsRecords(t *testing.T) {
	var c counts
	far := int64(minDense + 1000)
	c.add(far)
	c.add(maxDense - 1)
	if len(c.dense) != 0 || len(c.sparse) != 2 {
		t.Fatalf("two records far apart: %d slice bins, %d map bins", len(c.dense), len(c.sparse))
	}
	want := map[int64]int{far: 1, maxDense - 1: 1}
	for k := int64(0); k <= far+10; k++ {
		c.add(k)
		want[k]++
	}
	if len(c.dense) <= int(far) || c.sparse[far] != nil {
		t.Fatalf("slice %d bins, map holds %d: bin %d did not move", len(c.dense), len(c.sparse), far)
	}
	if got := c.asMap(t); !maps.Equal(got, want) {
		t.Fatalf("counts differ: %d bins, want %d", len(got), len(want))
	}
	if c.get(far) != 2 || c.get(-1) != 0 || c.get(maxDense-1) != 1 {
		t.Fatalf("get: %d %d %d", c.get(far), c.get(-1), c.get(maxDense-1))
	}
}
