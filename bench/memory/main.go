//go:build unix

// Command memory measures the peak resident memory of a virtual-time
// probe at 100 000 and at 1 000 000 operations of unthrottled
// update-user traffic, and the growth per operation between them: a
// virtual run should hold what is in flight, not what has been done, so
// the growth should be about zero.
//
//	go run ./bench/memory -bin PATH [-small 100000] [-large 1000000] [-max-per-op 64]
//
// It runs the ratelab binary at PATH as a child process (with the GOGC
// and GOMAXPROCS a virtual probe sets for itself) and reads its peak RSS
// from the kernel.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// flat is the scenario measured: probe/testdata/flat.yaml, whose limits
// stay out of the way (the bench runs from the repository's root).
const flat = "probe/testdata/flat.yaml"

func main() {
	bin := flag.String("bin", "", "the ratelab binary to measure")
	small := flag.Int("small", 100000, "operations of the small run")
	large := flag.Int("large", 1000000, "operations of the large run")
	maxPerOp := flag.Float64("max-per-op", 64, "bytes of RSS per extra operation above which the run fails")
	flag.Parse()
	if err := run(*bin, *small, *large, *maxPerOp); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(bin string, small, large int, maxPerOp float64) error {
	sc := flat
	if _, err := os.Stat(sc); err != nil {
		return fmt.Errorf("%w (run it from the repository's root, as bench/memory.sh does)", err)
	}
	var rss [2]int64
	var err error
	for i, n := range []int{small, large} {
		start := time.Now()
		if rss[i], err = peakRSS(bin, sc, n); err != nil {
			return err
		}
		fmt.Printf("%8d operations: peak RSS %6.1f MB (%.0f bytes per operation), %.1f s\n",
			n, mb(rss[i]), float64(rss[i])/float64(n), time.Since(start).Seconds())
	}
	per := float64(rss[1]-rss[0]) / float64(large-small)
	verdict := ""
	if per > maxPerOp {
		verdict = " — GROWS"
	}
	fmt.Printf("growth: %.1f bytes of RSS per operation beyond %d (ratio %.2f for %.0f× the operations; target ≤ %.0f B/op)%s\n",
		per, small, float64(rss[1])/float64(rss[0]), float64(large)/float64(small), maxPerOp, verdict)
	if verdict != "" {
		return fmt.Errorf("virtual-time memory grows %.1f bytes per operation", per)
	}
	return nil
}

// peakRSS runs a virtual probe of n operations of scenario sc and returns
// its peak resident set in bytes.
func peakRSS(bin, sc string, n int) (int64, error) {
	cmd := exec.Command(bin, "probe", "--scenario", sc, "--virtual", "--ops", strconv.Itoa(n),
		"--max-duration", "100h", "--quiet", "--out", os.DevNull)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s: %w", cmd, err)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, fmt.Errorf("no resource usage for %s", cmd)
	}
	rss := int64(ru.Maxrss)
	if runtime.GOOS != "darwin" { // Linux and the BSDs count kilobytes
		rss *= 1024
	}
	return rss, nil
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }
