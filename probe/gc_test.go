package probe

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestTuneRuntimeSetsAndRestores(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMAXPROCS", "")
	procs := runtime.GOMAXPROCS(0)
	gc := debug.SetGCPercent(100)
	defer debug.SetGCPercent(gc)

	restore := TuneRuntime(1)
	if p := runtime.GOMAXPROCS(0); p != 1 {
		t.Errorf("GOMAXPROCS %d during a single run, want 1", p)
	}
	if g := debug.SetGCPercent(SimulationGCPercent); g != SimulationGCPercent {
		t.Errorf("GC percent %d, want %d", g, SimulationGCPercent)
	}
	restore()
	if p := runtime.GOMAXPROCS(0); p != procs {
		t.Errorf("GOMAXPROCS %d after restore, want %d", p, procs)
	}
	if g := debug.SetGCPercent(100); g != 100 {
		t.Errorf("GC percent %d after restore, want 100", g)
	}

	// Parallel callers keep every processor.
	restore = TuneRuntime(0)
	if p := runtime.GOMAXPROCS(0); p != procs {
		t.Errorf("GOMAXPROCS %d with procs 0, want %d", p, procs)
	}
	restore()
}

func TestTuneRuntimeLeavesUserChoices(t *testing.T) {
	t.Setenv("GOGC", "150")
	t.Setenv("GOMAXPROCS", "2")
	procs := runtime.GOMAXPROCS(0)
	gc := debug.SetGCPercent(150)
	defer debug.SetGCPercent(gc)
	restore := TuneRuntime(1)
	defer restore()
	if p := runtime.GOMAXPROCS(0); p != procs {
		t.Errorf("GOMAXPROCS %d, want the user's %d", p, procs)
	}
	if g := debug.SetGCPercent(150); g != 150 {
		t.Errorf("GC percent %d, want the user's 150", g)
	}
}
