package probe

import (
	"os"
	"runtime"
	"runtime/debug"
)

// SimulationGCPercent is the garbage-collection target TuneRuntime sets
// for a single simulation.
const SimulationGCPercent = 400

// ParallelGCPercent is the target TuneRuntime sets for parallel
// simulations (procs 0, as compare runs them), with ParallelMemoryLimit as
// a soft limit on the heap. Many short runs, each allocating megabytes and
// keeping little, spend less on collection at a higher target; the limit
// makes the collector work harder only if a large comparison's heap ever
// nears it.
const (
	ParallelGCPercent   = 800
	ParallelMemoryLimit = 1 << 30
)

// TuneRuntime sets up the Go runtime for simulation-heavy commands and
// returns a func that restores the previous settings.
//
// It raises the garbage collector's target to SimulationGCPercent, unless
// the user chose one with GOGC: a virtual run keeps a live heap of a few
// megabytes but allocates kilobytes per attempt, so at the default target
// of 100 the collector runs dozens of times a second and takes a fifth of
// the run; at 400 the heap stays small in absolute terms (tens of MB).
//
// With procs > 0 it also sets GOMAXPROCS to procs, unless the user chose
// it with the GOMAXPROCS variable. A single virtual run is sequential by
// design — one participant at a time — so a second processor only adds
// cost: every hand-off between participants wakes the idle one, which
// finds nothing to do and sleeps again (a quarter of the wall time of an
// hour-long run on two cores). Callers that run several simulations in
// parallel pass 0.
//
// With procs 0 the target is ParallelGCPercent and, unless GOMEMLIMIT is
// set, the heap's soft limit ParallelMemoryLimit.
//
// Every setting is process-wide, so only commands and benchmarks call it,
// once at a time: two overlapping calls would restore in the wrong order.
func TuneRuntime(procs int) (restore func()) {
	prevGC, prevProcs, prevLimit := -1, 0, int64(-1)
	gc := SimulationGCPercent
	if procs == 0 {
		gc = ParallelGCPercent
		if os.Getenv("GOMEMLIMIT") == "" {
			prevLimit = debug.SetMemoryLimit(ParallelMemoryLimit)
		}
	}
	if os.Getenv("GOGC") == "" {
		prevGC = debug.SetGCPercent(gc)
	}
	if procs > 0 && os.Getenv("GOMAXPROCS") == "" {
		prevProcs = runtime.GOMAXPROCS(procs)
	}
	return func() {
		if prevGC != -1 {
			debug.SetGCPercent(prevGC)
		}
		if prevProcs > 0 {
			runtime.GOMAXPROCS(prevProcs)
		}
		if prevLimit != -1 {
			debug.SetMemoryLimit(prevLimit)
		}
	}
}
