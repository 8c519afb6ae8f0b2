package probe

import (
	"os"
	"runtime/debug"
)

// SimulationGCPercent is the garbage-collection target TuneGC sets.
const SimulationGCPercent = 400

// TuneGC raises the garbage collector's target to SimulationGCPercent for
// simulation-heavy commands, unless the user chose one with GOGC. A
// virtual run keeps a live heap of a few megabytes but allocates about
// 5 KB per attempt, so at the default target of 100 the collector runs
// dozens of times a second and takes a fifth of the run; at 400 the heap
// stays small in absolute terms (tens of MB). It is process-wide, so only
// commands and benchmarks call it; the returned func restores the previous
// setting.
func TuneGC() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	prev := debug.SetGCPercent(SimulationGCPercent)
	return func() { debug.SetGCPercent(prev) }
}
