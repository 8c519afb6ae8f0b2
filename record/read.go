package record

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	json "github.com/goccy/go-json"
)

// Kind is what a log holds.
type Kind string

// The two kinds of log.
const (
	Attempts Kind = "attempts" // the probe's attempt log: the client's view
	Access   Kind = "access"   // the gateway's access log: the server's view
)

// AttemptVisitor receives an attempt log's records, one at a time, in log
// order. A record is valid only during the call: the reader and the probe
// runner reuse it, so copy what must outlive the call.
type AttemptVisitor interface {
	Header(h *Header)
	Attempt(a *Attempt)
	Operation(o *Operation)
	Final(f *Final)
}

// AccessVisitor receives an access log's records, one at a time, in log
// order. A record is valid only during the call.
type AccessVisitor interface {
	AccessHeader(h *AccessHeader)
	Request(r *Request)
	Background(b *Background)
}

// Visitor receives the records of either kind of log.
type Visitor interface {
	AttemptVisitor
	AccessVisitor
}

// Refuser is a Visitor that may refuse a record it was given, such as one
// whose values it cannot use. Stream asks Refused after delivering each
// record after the header; a non-nil error makes that line bad, exactly as
// a line that does not decode (an error naming the file and line, or, with
// Options.Lenient, a skipped line). A visitor that refuses a record must
// leave its state as if it had not been given it.
type Refuser interface {
	Visitor
	Refused() error
}

// LineError is a bad line, located by file and line (from 1).
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("record: %s:%d: %v", e.File, e.Line, e.Err) }

// Unwrap returns the line's error.
func (e *LineError) Unwrap() error { return e.Err }

// Options tune reading.
type Options struct {
	// Lenient skips bad records after the header instead of failing,
	// counting them. A bad header always fails.
	Lenient bool
}

// maxLine is the longest line Stream reads; a longer one is an error.
const maxLine = 16 << 20

func newScanner(r io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 256<<10), maxLine)
	return sc
}

// Stream reads one JSON Lines log from r (called file in errors), finds
// its kind from its header, and passes every record to v as its own type.
// It returns the kind and how many lines it skipped (with Lenient). Blank
// lines are ignored; lines are at most 16 MiB. Errors are *LineError.
// Memory is one line and one record of each type at a time.
func Stream(file string, r io.Reader, v Visitor, o Options) (Kind, int, error) {
	sc := newScanner(r)
	rd := &reader{v: v}
	rd.ref, _ = v.(Refuser)
	skipped, line := 0, 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if rd.kind == "" {
			if err := rd.header(b); err != nil {
				return "", skipped, &LineError{File: file, Line: line, Err: err}
			}
			continue
		}
		if err := rd.record(b); err != nil {
			if o.Lenient {
				skipped++
				continue
			}
			return rd.kind, skipped, &LineError{File: file, Line: line, Err: err}
		}
	}
	if err := sc.Err(); err != nil {
		return rd.kind, skipped, &LineError{File: file, Line: line + 1, Err: err}
	}
	if rd.kind == "" {
		return "", skipped, &LineError{File: file, Line: 1, Err: errors.New("empty log")}
	}
	return rd.kind, skipped, nil
}

// StreamFile is Stream on the file at path, named by its base name.
func StreamFile(path string, v Visitor, o Options) (Kind, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("record: %w", err)
	}
	defer f.Close()
	return Stream(filepath.Base(path), f, v, o)
}

// Sniff reads r (called file in errors) up to its header and returns the
// log's kind. It reads ahead: a caller that streams r afterwards rewinds
// it first.
func Sniff(file string, r io.Reader) (Kind, error) {
	sc := newScanner(r)
	line := 0
	for sc.Scan() {
		line++
		if b := bytes.TrimSpace(sc.Bytes()); len(b) > 0 {
			k, _, _, err := readHeader(b)
			if err != nil {
				return "", &LineError{File: file, Line: line, Err: err}
			}
			return k, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", &LineError{File: file, Line: line + 1, Err: err}
	}
	return "", &LineError{File: file, Line: 1, Err: errors.New("empty log")}
}

// readHeader decodes a log's first record. A header with an operation
// opens an attempt log; any other opens an access log.
func readHeader(b []byte) (Kind, *Header, *AccessHeader, error) {
	var h Header
	err := json.Unmarshal(b, &h)
	if err == nil && (h.Type != TypeHeader || h.Schema != Schema) {
		err = fmt.Errorf("the first record is not a schema-1 ratelab header (type %q, schema %d)", h.Type, h.Schema)
	}
	if err != nil {
		return "", nil, nil, err
	}
	if h.Operation != "" {
		return Attempts, &h, nil, nil
	}
	var a AccessHeader
	if err := json.Unmarshal(b, &a); err != nil {
		return "", nil, nil, err
	}
	return Access, nil, &a, nil
}

// reader decodes one log's records into one reused record of each type.
type reader struct {
	v    Visitor
	ref  Refuser // v, when it may refuse records
	kind Kind

	attempt Attempt
	op      Operation
	final   Final
	request Request
	bg      Background
}

func (rd *reader) header(b []byte) error {
	k, h, a, err := readHeader(b)
	if err != nil {
		return err
	}
	rd.kind = k
	if h != nil {
		rd.v.Header(h)
	} else {
		rd.v.AccessHeader(a)
	}
	return nil
}

// expects reports whether a record of type typ belongs after the header
// of rd's kind of log.
func (rd *reader) expects(typ string) bool {
	switch typ {
	case TypeAttempt, TypeOperation, TypeSummary:
		return rd.kind == Attempts
	case TypeRequest, TypeBackground:
		return rd.kind == Access
	}
	return false
}

// envelope is what every record has.
type envelope struct {
	Schema int    `json:"schema"`
	Type   string `json:"type"`
}

// record decodes one record and passes it to the visitor (and returns
// the visitor's refusal, if it refuses it). Each line is
// decoded once: its type is read from the prefix every record written by
// a Writer has, and checked against the decoded record; a line spelled
// any other way has its envelope decoded first.
func (rd *reader) record(b []byte) error {
	typ := peekType(b)
	if !rd.expects(typ) {
		var e envelope
		if err := json.Unmarshal(b, &e); err != nil {
			return err
		}
		if e.Schema != Schema {
			return fmt.Errorf("schema %d: this ratelab reads schema %d", e.Schema, Schema)
		}
		if !rd.expects(e.Type) {
			return fmt.Errorf("unexpected record type %q in an %s log", e.Type, rd.kind)
		}
		typ = e.Type
	}
	got, schema, err := rd.decode(b, typ)
	if err == nil && got != typ {
		// A repeated "type" key: the last one counts, as for any key.
		if !rd.expects(got) {
			return fmt.Errorf("unexpected record type %q in an %s log", got, rd.kind)
		}
		typ = got
		got, schema, err = rd.decode(b, typ)
	}
	switch {
	case err != nil:
		return err
	case schema != Schema:
		return fmt.Errorf("schema %d: this ratelab reads schema %d", schema, Schema)
	case got != typ:
		return fmt.Errorf("record type %q decoded as %q", typ, got)
	}
	rd.deliver(typ)
	if rd.ref != nil {
		return rd.ref.Refused()
	}
	return nil
}

// prefix starts every record a Writer writes.
var prefix = []byte(`{"schema":1,"type":"`)

// peekType returns the type of a record that starts with prefix, or ""
// when it does not or its type is not a body record's. It allocates
// nothing.
func peekType(b []byte) string {
	rest, ok := bytes.CutPrefix(b, prefix)
	if !ok {
		return ""
	}
	i := bytes.IndexByte(rest, '"')
	if i < 0 {
		return ""
	}
	switch string(rest[:i]) {
	case TypeAttempt:
		return TypeAttempt
	case TypeOperation:
		return TypeOperation
	case TypeSummary:
		return TypeSummary
	case TypeRequest:
		return TypeRequest
	case TypeBackground:
		return TypeBackground
	}
	return ""
}

// decode decodes b into rd's zeroed record of type typ and returns the
// type and schema it holds.
func (rd *reader) decode(b []byte, typ string) (string, int, error) {
	switch typ {
	case TypeAttempt:
		rd.attempt = Attempt{}
		err := json.Unmarshal(b, &rd.attempt)
		return rd.attempt.Type, rd.attempt.Schema, err
	case TypeOperation:
		rd.op = Operation{}
		err := json.Unmarshal(b, &rd.op)
		return rd.op.Type, rd.op.Schema, err
	case TypeSummary:
		rd.final = Final{}
		err := json.Unmarshal(b, &rd.final)
		return rd.final.Type, rd.final.Schema, err
	case TypeRequest:
		rd.request = Request{}
		err := json.Unmarshal(b, &rd.request)
		return rd.request.Type, rd.request.Schema, err
	case TypeBackground:
		rd.bg = Background{}
		err := json.Unmarshal(b, &rd.bg)
		return rd.bg.Type, rd.bg.Schema, err
	}
	return "", 0, fmt.Errorf("unexpected record type %q in an %s log", typ, rd.kind)
}

// deliver passes rd's record of type typ to the visitor.
func (rd *reader) deliver(typ string) {
	switch typ {
	case TypeAttempt:
		rd.v.Attempt(&rd.attempt)
	case TypeOperation:
		rd.v.Operation(&rd.op)
	case TypeSummary:
		rd.v.Final(&rd.final)
	case TypeRequest:
		rd.v.Request(&rd.request)
	case TypeBackground:
		rd.v.Background(&rd.bg)
	}
}
