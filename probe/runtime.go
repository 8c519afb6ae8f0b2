package probe

import (
	"os"
	"runtime"
	"runtime/debug"
)

// SimulationGCPercent is the garbage-collection target TuneRuntime sets.
const SimulationGCPercent = 400

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
// Both settings are process-wide, so only commands and benchmarks call it.
func TuneRuntime(procs int) (restore func()) {
	prevGC, prevProcs := -1, 0
	if os.Getenv("GOGC") == "" {
		prevGC = debug.SetGCPercent(SimulationGCPercent)
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
	}
}
