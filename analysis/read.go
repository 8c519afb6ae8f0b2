package analysis

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	json "github.com/goccy/go-json"
	"io"
	"os"
	"path/filepath"
)

// Kind is what a log file holds.
type Kind string

// The two kinds of log.
const (
	Attempts Kind = "attempts" // the probe's client view
	Access   Kind = "access"   // the gateway's server view
)

// LineError is a bad line, located by file and line.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("analysis: %s:%d: %v", e.File, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Header is the first record of either log; fields of the other kind stay
// zero.
type Header struct {
	Schema   int               `json:"schema"`
	Type     string            `json:"type"`
	Version  string            `json:"version"`
	Scenario string            `json:"scenario"`
	Seed     uint64            `json:"seed"`
	Start    string            `json:"start"`
	Strategy string            `json:"strategy"`
	Params   map[string]string `json:"params"`
	Target   string            `json:"target"`
	Clock    string            `json:"clock"`
	// Operation is set only in attempt logs.
	Operation        string  `json:"operation"`
	Ops              int     `json:"ops"`
	Concurrency      int     `json:"concurrency"`
	Rate             float64 `json:"rate"`
	HappyPath        int     `json:"happy_path"`
	Capacity         float64 `json:"capacity"`
	CapacityBurst    float64 `json:"capacity_burst"`
	CapacityWindowNS int64   `json:"capacity_window_ns"`
	TimeScale        float64 `json:"time_scale"`
	// BucketSpecs is the gateway's bucket list (access logs only).
	BucketSpecs []BucketSpec `json:"bucket_specs"`
}

// BucketSpec is one bucket as the gateway's scenario defines it.
type BucketSpec struct {
	Name      string `json:"name"`
	Algorithm string `json:"algorithm"`
	Scope     string `json:"scope"`
	Limit     string `json:"limit"`
	Burst     int    `json:"burst"`
	Window    string `json:"window"`
	Namespace string `json:"namespace"`
	Key       string `json:"key"`
}

// Line is one record of either log after the header. The two formats share
// field names with the same meaning, so one type reads both in one pass;
// Type says which record it is.
type Line struct {
	Schema int    `json:"schema"`
	Type   string `json:"type"`

	// attempt (probe)
	Op           int    `json:"op"`
	Attempt      int    `json:"attempt"`
	Worker       int    `json:"worker"`
	IntendedNS   int64  `json:"intended_ns"`
	SentNS       int64  `json:"sent_ns"`
	RetryAfterNS *int64 `json:"retry_after_ns"`
	LocalDrop    bool   `json:"local_drop"`
	Decision     string `json:"decision"`
	WaitNS       int64  `json:"wait_ns"`
	Error        string `json:"error"`

	// operation (probe)
	User     string `json:"user"`
	StartNS  int64  `json:"start_ns"`
	EndNS    int64  `json:"end_ns"`
	Attempts int    `json:"attempts"`
	OK       bool   `json:"ok"`
	Reason   string `json:"reason"`

	// both
	Client        string `json:"client"`
	Method        string `json:"method"`
	Route         string `json:"route"`
	LatencyNS     int64  `json:"latency_ns"`
	Status        int    `json:"status"`
	RetryAfter    string `json:"retry_after"`
	ErrorCode     string `json:"error_code"`
	CorrelationID string `json:"correlation_id"`

	// request (gateway)
	Seq               uint64   `json:"seq"`
	T                 int64    `json:"t"`
	TokenID           string   `json:"token_id"`
	Path              string   `json:"path"`
	Buckets           []Bucket `json:"buckets"`
	RejectedBy        string   `json:"rejected_by"`
	RetryAfterSeconds int64    `json:"retry_after_s"`
	TrueWaitNS        int64    `json:"true_wait_ns"`
	Fault             string   `json:"fault"`

	// background (gateway)
	Background []BackgroundCount `json:"background"`

	// summary (probe)
	Summary *json.RawMessage `json:"summary"`
}

// Bucket is one bucket's view of a gateway request.
type Bucket struct {
	Name      string  `json:"name"`
	Remaining float64 `json:"remaining"`
	Limit     float64 `json:"limit"`
	WaitNS    int64   `json:"wait_ns"`
	Refused   bool    `json:"refused"`
}

// BackgroundCount is the unseen load one bucket absorbed.
type BackgroundCount struct {
	Bucket   string `json:"bucket"`
	Admitted uint64 `json:"admitted"`
	Rejected uint64 `json:"rejected"`
}

// Visitor receives a log's records as they are read. The *Line is reused
// between calls: copy what must outlive the call.
type Visitor interface {
	Header(k Kind, h *Header)
	Line(l *Line)
}

// ReadOptions tune reading.
type ReadOptions struct {
	// Lenient skips bad lines instead of failing, counting them.
	Lenient bool
}

var recordTypes = map[Kind]map[string]bool{
	Attempts: {"attempt": true, "operation": true, "summary": true},
	Access:   {"request": true, "background": true},
}

// Stream reads one JSON Lines log from r (called file in errors), finds its
// kind from its header, and passes every record to v. It returns the kind
// and how many lines it skipped (with Lenient). Memory is one line at a
// time.
func Stream(file string, r io.Reader, v Visitor, o ReadOptions) (Kind, int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 256<<10), 16<<20)
	var kind Kind
	skipped, line := 0, 0
	var l Line
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var err error
		if kind == "" {
			var h Header
			if err = json.Unmarshal(b, &h); err != nil || h.Type != "header" || h.Schema != 1 {
				if err == nil {
					err = fmt.Errorf("the first record is not a schema-1 ratelab header (type %q, schema %d)", h.Type, h.Schema)
				}
				return kind, skipped, &LineError{File: file, Line: line, Err: err}
			}
			kind = Access
			if h.Operation != "" {
				kind = Attempts
			}
			v.Header(kind, &h)
			continue
		}
		l = Line{}
		if err = json.Unmarshal(b, &l); err == nil {
			switch {
			case l.Schema != 1:
				err = fmt.Errorf("schema %d: this ratelab reads schema 1", l.Schema)
			case !recordTypes[kind][l.Type]:
				err = fmt.Errorf("unexpected record type %q in an %s log", l.Type, kind)
			}
		}
		if err != nil {
			if o.Lenient {
				skipped++
				continue
			}
			return kind, skipped, &LineError{File: file, Line: line, Err: err}
		}
		v.Line(&l)
	}
	if err := sc.Err(); err != nil {
		return kind, skipped, &LineError{File: file, Line: line + 1, Err: err}
	}
	if kind == "" {
		return kind, skipped, &LineError{File: file, Line: 1, Err: errors.New("empty log")}
	}
	return kind, skipped, nil
}

// StreamFile is Stream on the file at path.
func StreamFile(path string, v Visitor, o ReadOptions) (Kind, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("analysis: %w", err)
	}
	defer f.Close()
	return Stream(filepath.Base(path), f, v, o)
}
