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
// gateway's per-bucket view and background load. Each file is opened and
// read once, so named pipes work as files do.
func Analyze(paths []string, o Options) ([]*Run, error) {
	if len(paths) == 0 {
		return nil, errors.New("analysis: no logs given")
	}
	logs := make([]Log, 0, len(paths))
	defer func() {
		for _, l := range logs {
			l.R.(io.Closer).Close()
		}
	}()
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("analysis: %w", err)
		}
		logs = append(logs, Log{Name: filepath.Base(p), R: f})
	}
	return AnalyzeLogs(logs, o)
}

// Log is a log to analyse: its name in the results and in errors, and
// what it reads from.
type Log struct {
	Name string
	R    io.Reader
}

// AnalyzeLogs is Analyze on logs that are already open (standard input,
// a pipe): each is read once, through to its end.
func AnalyzeLogs(logs []Log, o Options) ([]*Run, error) {
	if len(logs) == 0 {
		return nil, errors.New("analysis: no logs given")
	}
	readers, kinds, err := sniffLogs(logs)
	if err != nil {
		return nil, err
	}
	access := map[int]*accumulator{}
	for i, l := range logs {
		if kinds[i] != record.Access {
			continue
		}
		a := newAccumulator(l.Name)
		a.truthMap = map[string]int64{}
		_, skipped, err := record.Stream(l.Name, readers[i], a, o.Read)
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
	runs := make([]*Run, 0, len(logs))
	for i, l := range logs {
		if a, ok := access[i]; ok {
			runs = append(runs, a.finish())
			continue
		}
		a := newAccumulator(l.Name)
		if join != nil {
			a.truth = join.truthMap
		}
		_, skipped, err := record.Stream(l.Name, readers[i], a, o.Read)
		if err != nil {
			return nil, err
		}
		a.run.Skipped = skipped
		if join != nil && join.run.Scenario == a.run.Scenario && len(a.hints) > 0 {
			a.run.Joined = join.run.File
			a.buckets, a.bg, a.story = join.buckets, join.bg, join.story
		} else {
			a.hints, a.truths = nil, nil
		}
		runs = append(runs, a.finish())
	}
	return runs, nil
}

// sniffLogs reads each log's kind from its header and returns a reader
// per log that starts at its first byte again: what the header read
// consumed, then the rest.
func sniffLogs(logs []Log) ([]io.Reader, []record.Kind, error) {
	readers := make([]io.Reader, len(logs))
	kinds := make([]record.Kind, len(logs))
	for i, l := range logs {
		var read bytes.Buffer
		k, err := record.Sniff(l.Name, io.TeeReader(l.R, &read))
		if err != nil {
			return nil, nil, err
		}
		kinds[i], readers[i] = k, io.MultiReader(&read, l.R)
	}
	return readers, kinds, nil
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
	runs, err := AnalyzeLogs([]Log{{Name: name, R: r}}, o)
	if err != nil {
		return nil, err
	}
	return runs[0], nil
}
