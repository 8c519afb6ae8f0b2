package probe

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// TestTuneRuntime: simulation settings apply unless the user chose them
// with GOGC or GOMAXPROCS, and restore puts back what was there.
func TestTuneRuntime(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	for _, c := range []struct {
		name             string
		gogc, gomaxprocs string // the environment
		arg              int
		wantProcs        int
		wantGC           int
	}{
		{"single run", "", "", 1, 1, SimulationGCPercent},
		{"parallel runs", "", "", 0, procs, ParallelGCPercent},
		{"the user's choices", "150", "2", 1, procs, 100},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("GOGC", c.gogc)
			t.Setenv("GOMAXPROCS", c.gomaxprocs)
			gc := debug.SetGCPercent(100)
			defer debug.SetGCPercent(gc)

			limit := debug.SetMemoryLimit(-1)
			restore := TuneRuntime(c.arg)
			want := limit
			if c.arg == 0 {
				want = ParallelMemoryLimit
			}
			if l := debug.SetMemoryLimit(-1); l != want {
				t.Errorf("memory limit %d, want %d", l, want)
			}
			if p := runtime.GOMAXPROCS(0); p != c.wantProcs {
				t.Errorf("GOMAXPROCS %d, want %d", p, c.wantProcs)
			}
			if g := debug.SetGCPercent(c.wantGC); g != c.wantGC {
				t.Errorf("GC percent %d, want %d", g, c.wantGC)
			}
			restore()
			if p := runtime.GOMAXPROCS(0); p != procs {
				t.Errorf("GOMAXPROCS %d after restore, want %d", p, procs)
			}
			if g := debug.SetGCPercent(100); g != 100 {
				t.Errorf("GC percent %d after restore, want 100", g)
			}
			if l := debug.SetMemoryLimit(-1); l != limit {
				t.Errorf("memory limit %d after restore, want %d", l, limit)
			}
		})
	}
}
