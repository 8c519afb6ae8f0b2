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
		{"parallel runs", "", "", 0, procs, SimulationGCPercent},
		{"the user's choices", "150", "2", 1, procs, 100},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("GOGC", c.gogc)
			t.Setenv("GOMAXPROCS", c.gomaxprocs)
			gc := debug.SetGCPercent(100)
			defer debug.SetGCPercent(gc)

			restore := TuneRuntime(c.arg)
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
		})
	}
}
