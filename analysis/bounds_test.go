package analysis

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ratelab/ratelab/record"
)

const (
	attemptHead = `{"schema":1,"type":"header","scenario":"x","operation":"get-user","ops":2,"start":"2026-01-01T00:00:00Z"}` + "\n"
	accessHead  = `{"schema":1,"type":"header","scenario":"x","start":"2026-01-01T00:00:00Z"}` + "\n"
)

// request is an access-log line at t, answered with status.
func request(t int64, status int) string {
	return fmt.Sprintf(`{"schema":1,"type":"request","t":%d,"client":"c","method":"GET","route":"GET /r","path":"/r","status":%d}`+"\n", t, status)
}

// TestAbsurdTimesRejected: a time more than 100 years from the log's
// start, or a negative duration, is a bad line named by file and line —
// not a timeline of millions of bins.
func TestAbsurdTimesRejected(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ name, body, want string }{
		{"far.jsonl", accessHead + request(9e18, 200) + request(-9e18, 200), "far.jsonl:2: t 9000000000000000000 is more than 100 years"},
		{"past.jsonl", accessHead + request(0, 200) + request(-9e18, 200), "past.jsonl:3: t -9000000000000000000 is more than 100 years"},
		{"wait.jsonl", accessHead + `{"schema":1,"type":"request","t":1,"status":429,"true_wait_ns":-1}` + "\n", "wait.jsonl:2: true_wait_ns -1 is negative"},
		{"bucket.jsonl", accessHead + `{"schema":1,"type":"request","t":1,"status":429,"buckets":[{"name":"a","wait_ns":-5}]}` + "\n", "bucket.jsonl:2: buckets[0].wait_ns -5 is negative"},
		{"ra.jsonl", accessHead + `{"schema":1,"type":"request","t":1,"status":429,"retry_after_s":-2}` + "\n", "ra.jsonl:2: retry_after_s -2 is negative"},
		{"bg.jsonl", accessHead + `{"schema":1,"type":"background","t":9000000000000000000}` + "\n", "bg.jsonl:2: t 9000000000000000000"},
		{"sent.jsonl", attemptHead + `{"schema":1,"type":"attempt","op":1,"attempt":1,"sent_ns":8000000000000000000,"status":200}` + "\n", "sent.jsonl:2: sent_ns 8000000000000000000"},
		{"intended.jsonl", attemptHead + `{"schema":1,"type":"attempt","op":1,"attempt":1,"intended_ns":-8000000000000000000,"status":200}` + "\n", "intended.jsonl:2: intended_ns"},
		{"latency.jsonl", attemptHead + `{"schema":1,"type":"attempt","op":1,"attempt":1,"latency_ns":-1,"status":200}` + "\n", "latency.jsonl:2: latency_ns -1 is negative"},
		{"hint.jsonl", attemptHead + `{"schema":1,"type":"attempt","op":1,"attempt":1,"status":429,"retry_after_ns":-1}` + "\n", "hint.jsonl:2: retry_after_ns -1 is negative"},
		{"backoff.jsonl", attemptHead + `{"schema":1,"type":"attempt","op":1,"attempt":1,"status":429,"wait_ns":4000000000000000000}` + "\n", "backoff.jsonl:2: wait_ns 4000000000000000000 is longer than 100 years"},
		{"op.jsonl", attemptHead + "\n" + `{"schema":1,"type":"operation","op":1,"start_ns":0,"end_ns":9000000000000000000}` + "\n", "op.jsonl:3: end_ns 9000000000000000000"},
		{"final.jsonl", attemptHead + `{"schema":1,"type":"summary","summary":{"elapsed_ns":-1}}` + "\n", "final.jsonl:2: elapsed_ns -1 is negative"},
	}
	for _, c := range cases {
		p := filepath.Join(dir, c.name)
		if err := os.WriteFile(p, []byte(c.body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Analyze([]string{p}, Options{})
		var le *record.LineError
		if !errors.As(err, &le) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// Lenient skips the line and analyses the rest.
	p := filepath.Join(dir, "lenient.jsonl")
	os.WriteFile(p, []byte(accessHead+request(0, 200)+request(9e18, 200)+request(int64(time.Second), 429)), 0o644)
	runs, err := Analyze([]string{p}, Options{Read: record.Options{Lenient: true}})
	if err != nil || runs[0].Skipped != 1 || runs[0].RetryAfter.Throttled != 1 || len(runs[0].Timeline) != 11 {
		t.Errorf("lenient: %v %+v", err, runs)
	}
}

// TestLongSpanBoundedMemory: logs of two records far apart in time, up to
// the 100-year bound, analyse in bounded memory and give reports of
// bounded size: memory follows the records, not the time they span.
func TestLongSpanBoundedMemory(t *testing.T) {
	const (
		maxAlloc  = 2 << 20  // bytes allocated by one analysis
		maxReport = 32 << 10 // bytes of its JSON report
	)
	day := int64(24 * time.Hour)
	for _, span := range []int64{day, 30 * day, 3 * 365 * day, maxSpan} {
		logs := map[string]string{
			"access": accessHead + request(0, 429) + request(span, 200),
			"attempts": attemptHead +
				`{"schema":1,"type":"attempt","op":1,"attempt":1,"sent_ns":0,"status":429,"decision":"retry"}` + "\n" +
				fmt.Sprintf(`{"schema":1,"type":"attempt","op":1,"attempt":2,"sent_ns":%d,"status":200,"decision":"done"}`, span) + "\n" +
				fmt.Sprintf(`{"schema":1,"type":"operation","op":1,"start_ns":0,"end_ns":%d,"ok":true}`, span) + "\n",
		}
		for kind, body := range logs {
			name := fmt.Sprintf("%s over %v", kind, time.Duration(span))
			var run *Run
			alloc := allocated(func() {
				var err error
				if run, err = AnalyzeReader(name, strings.NewReader(body), Options{}); err != nil {
					t.Fatal(err)
				}
			})
			var rep bytes.Buffer
			if err := NewReport([]*Run{run}, nil).Write(&rep, "json"); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: allocated %d bytes, report %d bytes, %d timeline bins", name, alloc, rep.Len(), len(run.Timeline))
			if alloc > maxAlloc || rep.Len() > maxReport || len(run.Timeline) > 130 {
				t.Errorf("%s: allocated %d bytes (max %d), report %d bytes (max %d), %d timeline bins",
					name, alloc, maxAlloc, rep.Len(), maxReport, len(run.Timeline))
			}
			if n := run.Timeline[0].OK + run.Timeline[0].Throttled + run.Timeline[len(run.Timeline)-1].OK; n != 2 {
				t.Errorf("%s: timeline ends count %d responses, want 2", name, n)
			}
		}
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
