package analysis

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Options tune Analyze.
type Options struct {
	ReadOptions
}

// sniff reads the header of the log at path and returns its kind.
func sniff(path string) (Kind, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("analysis: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	if !sc.Scan() {
		return "", &LineError{File: filepath.Base(path), Line: 1, Err: errors.New("empty log")}
	}
	var h Header
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Type != "header" {
		return "", &LineError{File: filepath.Base(path), Line: 1, Err: errors.New("the first record is not a ratelab header")}
	}
	if h.Operation != "" {
		return Attempts, nil
	}
	return Access, nil
}

// Analyze reads every log at paths and returns one Run per log, in order.
// When exactly one access log is given with attempt logs of the same
// scenario, each attempt log is joined with it by correlation id: its
// hints are compared with the gateway's true waits, and it reports the
// gateway's per-bucket view and background load.
func Analyze(paths []string, o Options) ([]*Run, error) {
	if len(paths) == 0 {
		return nil, errors.New("analysis: no logs given")
	}
	kinds := make([]Kind, len(paths))
	access := map[int]*accumulator{}
	for i, p := range paths {
		k, err := sniff(p)
		if err != nil {
			return nil, err
		}
		kinds[i] = k
		if k != Access {
			continue
		}
		a := newAccumulator(filepath.Base(p))
		a.truthMap = map[string]int64{}
		_, skipped, err := StreamFile(p, a, o.ReadOptions)
		if err != nil {
			return nil, err
		}
		a.run.Skipped = skipped
		access[i] = a
	}
	var join *accumulator
	if len(access) == 1 {
		for _, a := range access {
			join = a
		}
	}
	runs := make([]*Run, 0, len(paths))
	for i, p := range paths {
		if a, ok := access[i]; ok {
			runs = append(runs, a.finish())
			continue
		}
		a := newAccumulator(filepath.Base(p))
		if join != nil {
			a.truth = join.truthMap
		}
		_, skipped, err := StreamFile(p, a, o.ReadOptions)
		if err != nil {
			return nil, err
		}
		a.run.Skipped = skipped
		if join != nil && join.run.Scenario == a.run.Scenario && len(a.hints) > 0 {
			a.run.Joined = join.run.File
			a.buckets, a.bg = join.buckets, join.bg
		} else {
			a.hints, a.truths = nil, nil
		}
		runs = append(runs, a.finish())
	}
	return runs, nil
}

// NewVisitor returns a Visitor that analyses the records it is given, and
// the func that finishes the analysis: how a program analyses a run it
// makes without writing and re-reading its log.
func NewVisitor(name string) (Visitor, func() *Run) {
	a := newAccumulator(name)
	return a, a.finish
}

// AnalyzeReader analyses one log read from r; name labels it in errors
// and reports.
func AnalyzeReader(name string, r io.Reader, o Options) (*Run, error) {
	a := newAccumulator(name)
	_, skipped, err := Stream(name, r, a, o.ReadOptions)
	if err != nil {
		return nil, err
	}
	a.run.Skipped = skipped
	return a.finish(), nil
}
