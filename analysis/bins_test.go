package analysis

import (
	"maps"
	"math/rand/v2"
	"testing"
)

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
	if got := c.asMap(); !maps.Equal(got, want) {
		t.Fatalf("counts: %d bins, want %d", len(got), len(want))
	}
	got := tb.asMap()
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
