package record

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// sample holds one of every record type, with awkward strings and floats.
func sample() (attempts, access []any) {
	wait := int64(-3)
	attempts = []any{
		&Header{Schema: Schema, Type: TypeHeader, Scenario: "a <b> & \"c\"", Params: map[string]string{"z": "1", "a": "é\u2028x", "m": "\x01"},
			Operation: "get-user", Rate: 1.0 / 3, Capacity: 1e-7, CapacityBurst: 1e21},
		&Attempt{Schema: Schema, Type: TypeAttempt, Op: 1, Attempt: 2, Client: "app&co", Method: "PUT", Route: "PUT /api/v2/users/{id}",
			IntendedNS: -5, SentNS: 1 << 62, Status: 429, RetryAfter: "Wed, 21 Oct 2015 07:28:00 GMT", RetryAfterNS: &wait,
			ErrorCode: "too.many.requests", Error: "client: <html> \t\n\\", LocalDrop: true, Decision: DecisionRetry, WaitNS: 7},
		&Attempt{Schema: Schema, Type: TypeAttempt},
		&Operation{Schema: Schema, Type: TypeOperation, Op: 3, User: "user-00001", StartNS: 1, EndNS: 2, Attempts: 4, OK: true, Status: 200, Reason: "ok"},
		&Operation{Schema: Schema, Type: TypeOperation, Op: 4, Attempts: 1, Status: 429, Reason: ReasonWaitPastCap, WaitNS: 18e12},
		&Final{Schema: Schema, Type: TypeSummary, Summary: Summary{Ops: 3, SuccessRate: 2.0 / 3, AttemptRate: 0.1, Amplify: 123456789.125, ThrottleRate: 1e-9, CapReached: "time-cap",
			Ended: map[string]int{"wait-past-cap": 2, "ok": 1, "status-404": 3, "attempt-cap": 4, "time-cap": 5, "interrupted": 6, "request-cap": 7, "strategy-stop": 8}}},
	}
	access = []any{
		&AccessHeader{Schema: Schema, Type: TypeHeader, Start: "2026-01-02T03:04:05.123456789Z", Scenario: "s<&>", Seed: 1 << 63, TimeScale: 0.1,
			BucketSpecs: []BucketSpec{{Name: "token", Algorithm: "fixed-window", Scope: "token", Limit: "tier (standard=300/min)", Window: "1m0s"},
				{Name: "directory", Algorithm: "token-bucket", Scope: "org", Limit: "180/min", Burst: 20, Namespace: "directory", Key: "k"}}},
		&Request{Schema: Schema, Type: TypeRequest, Seq: 7, T: 1 << 40, LatencyNS: 3, Client: "c\u2029", TokenID: "tok-1", Method: "GET",
			Route: "GET /api/v2/users/{id}", Path: "/api/v2/users/<x>", RemoteAddr: "[::1]:5", CorrelationID: "cid", Status: 429,
			ErrorCode: "too.many.requests", Buckets: []Bucket{{Name: "token", Remaining: 0.30000000000000004, Limit: 300, WaitNS: 9, Refused: true},
				{Name: "directory", Remaining: 1e-7, Limit: 1e21}, {Name: "x", Remaining: -0, Limit: 179.99999999999997}},
			RejectedBy: "token", RetryAfter: "0", RetryAfterSeconds: 12, TrueWaitNS: 11, Fault: "non-json-429"},
		&Request{Schema: Schema, Type: TypeRequest},
		&Background{Schema: Schema, Type: TypeBackground, T: 5, Counts: []BackgroundCount{{Bucket: "directory", Admitted: 6, Rejected: 12}}},
	}
	return attempts, access
}

// write writes recs through a Writer, each with its own method.
func write(t *testing.T, recs []any) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, rec := range recs {
		switch r := rec.(type) {
		case *Header:
			w.Header(r)
		case *Attempt:
			w.Attempt(r)
		case *Operation:
			w.Operation(r)
		case *Final:
			w.Final(r)
		case *AccessHeader:
			w.AccessHeader(r)
		case *Request:
			w.Request(r)
		case *Background:
			w.Background(r)
		default:
			t.Fatalf("no writer method for %T", rec)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestWriterMatchesEncodingJSON: the Writer encodes with goccy/go-json for
// speed; every kind of record, with awkward strings and floats, comes out
// as the bytes encoding/json writes, so logs stay the documented format.
func TestWriterMatchesEncodingJSON(t *testing.T) {
	attempts, access := sample()
	for _, recs := range [][]any{attempts, access} {
		var want bytes.Buffer
		for _, rec := range recs {
			b, err := stdjson.Marshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			want.Write(append(b, '\n'))
		}
		if got := write(t, recs); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("log bytes differ from encoding/json:\n got %s\nwant %s", got, want.Bytes())
		}
	}
}

// collect keeps a copy of every record it visits.
type collect struct{ recs []any }

func (c *collect) Header(h *Header)             { x := *h; c.recs = append(c.recs, &x) }
func (c *collect) Attempt(a *Attempt)           { x := *a; c.recs = append(c.recs, &x) }
func (c *collect) Operation(o *Operation)       { x := *o; c.recs = append(c.recs, &x) }
func (c *collect) Final(f *Final)               { x := *f; c.recs = append(c.recs, &x) }
func (c *collect) AccessHeader(h *AccessHeader) { x := *h; c.recs = append(c.recs, &x) }
func (c *collect) Request(r *Request)           { x := *r; c.recs = append(c.recs, &x) }
func (c *collect) Background(b *Background)     { x := *b; c.recs = append(c.recs, &x) }

// TestRoundTrip: Stream hands back, as their own types, the records a
// Writer wrote, field for field.
func TestRoundTrip(t *testing.T) {
	attempts, access := sample()
	for _, c := range []struct {
		kind Kind
		recs []any
	}{{Attempts, attempts}, {Access, access}} {
		var got collect
		kind, skipped, err := Stream("log.jsonl", bytes.NewReader(write(t, c.recs)), &got, Options{})
		if err != nil || kind != c.kind || skipped != 0 {
			t.Fatalf("%s: kind %q, %d skipped, %v", c.kind, kind, skipped, err)
		}
		if !reflect.DeepEqual(got.recs, c.recs) {
			t.Errorf("%s: read back\n%+v\nwrote\n%+v", c.kind, got.recs, c.recs)
		}
	}
}

func TestStreamErrors(t *testing.T) {
	head := `{"schema":1,"type":"header","scenario":"x","operation":"get-user","ops":1}` + "\n"
	accessHead := `{"schema":1,"type":"header","scenario":"x"}` + "\n"
	good := `{"schema":1,"type":"attempt","op":1,"attempt":1,"status":200,"decision":"done"}` + "\n"
	cases := []struct{ name, body, want string }{
		{"empty", "", "empty:1: empty log"},
		{"blank", "\n  \n", "blank:1: empty log"},
		{"nohead", good, `nohead:1: the first record is not a schema-1 ratelab header (type "attempt", schema 1)`},
		{"headschema", `{"schema":2,"type":"header","operation":"x"}`, "headschema:1: the first record is not a schema-1"},
		{"garbage", head + good + "{nope\n", "garbage:3:"},
		{"truncated", head + `{"schema":1,"type":"attempt","op":1`, "truncated:2:"},
		{"badfield", head + `{"schema":1,"type":"attempt","op":"x"}`, "badfield:2:"},
		{"schema", head + `{"schema":2,"type":"attempt"}` + "\n", "schema:2: schema 2"},
		{"lateschema", head + `{"schema":1,"type":"attempt","schema":3}` + "\n", "lateschema:2: schema 3"},
		{"mixed", head + `{"schema":1,"type":"request"}` + "\n", `mixed:2: unexpected record type "request" in an attempts log`},
		{"mixedaccess", accessHead + good, `mixedaccess:2: unexpected record type "attempt" in an access log`},
		{"unknown", head + `{"schema":1,"type":"nope"}`, `unknown:2: unexpected record type "nope" in an attempts log`},
		{"retyped", head + `{"schema":1,"type":"attempt","type":"request"}`, `retyped:2: unexpected record type "request" in an attempts log`},
		{"long", head + `{"schema":1,"type":"attempt","error":"` + strings.Repeat("x", maxLine) + `"}`, "long:2: bufio.Scanner: token too long"},
	}
	for _, c := range cases {
		_, _, err := Stream(c.name, strings.NewReader(c.body), &collect{}, Options{})
		var le *LineError
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &le) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	var got collect
	_, skipped, err := Stream("lenient", strings.NewReader(head+good+"{nope\n"+`{"schema":2,"type":"attempt"}`+"\n"+good), &got, Options{Lenient: true})
	if err != nil || skipped != 2 || len(got.recs) != 3 {
		t.Errorf("lenient: %v, %d skipped, %d records", err, skipped, len(got.recs))
	}
}

// picky refuses attempts with status 500 and keeps the rest.
type picky struct {
	collect
	err error
}

func (p *picky) Attempt(a *Attempt) {
	if p.err = nil; a.Status == 500 {
		p.err = errors.New("status 500 refused")
		return
	}
	p.collect.Attempt(a)
}

func (p *picky) Refused() error { return p.err }

// TestStreamRefused: a record the visitor refuses is a bad line, named by
// file and line, or skipped with Lenient.
func TestStreamRefused(t *testing.T) {
	head := `{"schema":1,"type":"header","operation":"get-user"}` + "\n"
	good := `{"schema":1,"type":"attempt","status":200}` + "\n"
	bad := `{"schema":1,"type":"attempt","status":500}` + "\n"
	_, _, err := Stream("p.jsonl", strings.NewReader(head+good+"\n"+bad+good), &picky{}, Options{})
	var le *LineError
	if !errors.As(err, &le) || err.Error() != "record: p.jsonl:4: status 500 refused" {
		t.Errorf("strict: %v", err)
	}
	var p picky
	_, skipped, err := Stream("p.jsonl", strings.NewReader(head+good+bad+good), &p, Options{Lenient: true})
	if err != nil || skipped != 1 || len(p.recs) != 3 {
		t.Errorf("lenient: %v, %d skipped, %d records", err, skipped, len(p.recs))
	}
}

// TestStreamOtherSpellings: records written by other tools, with other
// key orders, spacing or escapes, read the same as a Writer's; a repeated
// "type" key counts its last value, as for any key.
func TestStreamOtherSpellings(t *testing.T) {
	head := `{"schema":1,"type":"header","operation":"get-user"}` + "\n"
	for _, line := range []string{
		`{"type":"operation","schema":1,"op":4,"ok":true}`,
		`{ "schema" : 1 , "type" : "operation", "op": 4, "ok": true }`,
		`{"schema":1,"type":"op\u0065ration","op":4,"ok":true}`,
		`{"schema":1,"type":"attempt","op":4,"ok":true,"type":"operation"}`,
	} {
		var got collect
		if _, _, err := Stream("x", strings.NewReader(head+line), &got, Options{}); err != nil {
			t.Errorf("%s: %v", line, err)
			continue
		}
		want := &Operation{Schema: 1, Type: TypeOperation, Op: 4, OK: true}
		if len(got.recs) != 2 || !reflect.DeepEqual(got.recs[1], want) {
			t.Errorf("%s: read %+v", line, got.recs)
		}
	}
}

// FuzzStream feeds arbitrary lines to the reader: no panics, and errors
// always name the file and a line.
func FuzzStream(f *testing.F) {
	attempts, access := sample()
	for _, recs := range [][]any{attempts, access} {
		var buf bytes.Buffer
		for _, rec := range recs {
			b, _ := stdjson.Marshal(rec)
			buf.Write(append(b, '\n'))
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte(`{"schema":1,"type":"header","operation":"x"}` + "\n" + `{"schema":1,"type":"attempt","retry_after_ns":-1}`))
	f.Add([]byte(`{"schema":1,"type":"header"}` + "\n" + `{"schema":1,"type":"request","buckets":[{"name":"a"}]}` + "\n" + `{"schema":1,"type":"background","type":"request"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, err := Stream("fuzz.jsonl", bytes.NewReader(data), &collect{}, Options{Lenient: len(data)%2 == 0})
		if err != nil && !strings.Contains(err.Error(), "fuzz.jsonl:") {
			t.Fatalf("error without file and line: %v", err)
		}
	})
}

// ExampleStream writes a tiny attempt log and reads it back.
func ExampleStream() {
	var log bytes.Buffer
	w := NewWriter(&log)
	w.Header(&Header{Schema: Schema, Type: TypeHeader, Scenario: "demo", Operation: "get-user", Ops: 1})
	w.Attempt(&Attempt{Schema: Schema, Type: TypeAttempt, Op: 1, Attempt: 1, Status: 200, Decision: DecisionDone})
	w.Operation(&Operation{Schema: Schema, Type: TypeOperation, Op: 1, OK: true, Status: 200, Reason: "ok"})
	if err := w.Flush(); err != nil {
		panic(err)
	}
	var got collect
	kind, _, err := Stream("demo.jsonl", &log, &got, Options{})
	fmt.Println(kind, len(got.recs), err)
	// Output: attempts 3 <nil>
}
