package analysis

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ratelab/ratelab/record"
)

// Options tune Analyze.
type Options struct {
	// Read tunes reading each log.
	Read record.Options
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
	files, readers, kinds, err := openLogs(paths)
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	if err != nil {
		return nil, err
	}
	access := map[int]*accumulator{}
	for i, p := range paths {
		if kinds[i] != record.Access {
			continue
		}
		a := newAccumulator(filepath.Base(p))
		a.truthMap = map[string]int64{}
		_, skipped, err := record.Stream(filepath.Base(p), readers[i], a, o.Read)
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
		_, skipped, err := record.Stream(filepath.Base(p), readers[i], a, o.Read)
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

// openLogs opens each log once and reads its kind from its header. It
// returns a reader per log that starts at the log's first byte again (what
// the header read consumed, then the rest), so pipes work as files do.
// The caller closes the files, also on error.
func openLogs(paths []string) ([]*os.File, []io.Reader, []record.Kind, error) {
	files := make([]*os.File, 0, len(paths))
	readers := make([]io.Reader, len(paths))
	kinds := make([]record.Kind, len(paths))
	for i, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return files, nil, nil, fmt.Errorf("analysis: %w", err)
		}
		files = append(files, f)
		var read bytes.Buffer
		if kinds[i], err = record.Sniff(filepath.Base(p), io.TeeReader(f, &read)); err != nil {
			return files, nil, nil, err
		}
		readers[i] = io.MultiReader(&read, f)
	}
	return files, readers, kinds, nil
}

// NewVisitor returns a Visitor that analyses the records it is given, and
// the func that finishes the analysis: how a program analyses a run it
// makes without writing and re-reading its log.
func NewVisitor(name string) (record.Visitor, func() *Run) {
	a := newAccumulator(name)
	return a, a.finish
}

// AnalyzeReader analyses one log read from r; name labels it in errors
// and reports.
func AnalyzeReader(name string, r io.Reader, o Options) (*Run, error) {
	a := newAccumulator(name)
	_, skipped, err := record.Stream(name, r, a, o.Read)
	if err != nil {
		return nil, err
	}
	a.run.Skipped = skipped
	return a.finish(), nil
}
