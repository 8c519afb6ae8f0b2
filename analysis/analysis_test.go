package analysis

import (
	"bytes"
	"context"
	stdjson "encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/scenarios"
	"github.com/ratelab/ratelab/target"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The fixtures are real logs: seed-eu-identity compressed 10×, 80
// operations with naive (with the gateway's access log of that run) and
// with adaptive.
var fixtures = []string{"testdata/naive.jsonl", "testdata/adaptive.jsonl", "testdata/access.jsonl"}

func analyzeFixtures(t *testing.T, paths ...string) []*Run {
	t.Helper()
	runs, err := Analyze(paths, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

func TestGoldenReports(t *testing.T) {
	runs := analyzeFixtures(t, fixtures...)
	asserts := []Assertion{}
	for _, e := range []string{"success_rate >= 0.99", "premature_retries == 0"} {
		a, err := ParseAssertion(e)
		if err != nil {
			t.Fatal(err)
		}
		asserts = append(asserts, a)
	}
	rep := NewReport(runs, asserts)
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := rep.Write(&buf, format); err != nil {
				t.Fatal(err)
			}
			ext := map[string]string{"table": "txt", "json": "json", "markdown": "md", "html": "html"}[format]
			golden := filepath.Join("testdata", "golden", "report."+ext)
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				os.WriteFile(golden, buf.Bytes(), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s report differs from %s; run go test ./analysis -update and review the diff", format, golden)
			}
		})
	}
}

func findingsText(r *Run) string {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "[%s] %s\n", f.Severity, f.Detail)
	}
	return b.String()
}

// TestSeedFindings checks that the seed scenario's analysis answers the
// report's question: the zero Retry-After, the shared bucket and the
// secondary bucket are all named, with their numbers.
func TestSeedFindings(t *testing.T) {
	runs := analyzeFixtures(t, "testdata/naive.jsonl", "testdata/access.jsonl")
	naive, access := runs[0], runs[1]
	if naive.Joined != "access.jsonl" {
		t.Fatalf("attempt log not joined with the access log: %q", naive.Joined)
	}
	for _, r := range []*Run{naive, access} {
		text := findingsText(r)
		for _, want := range []string{
			"Retry-After was 0 on 100% of 429s while the true wait averaged",
			`Bucket "directory" is shared:`,
			`came from bucket "directory" (token-bucket tier (standard=180/min) burst 20 per org)`,
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s findings lack %q:\n%s", r.File, want, text)
			}
		}
		if r.Findings[0].Severity != "high" {
			t.Errorf("%s: first finding is not high severity", r.File)
		}
	}
	if !strings.Contains(findingsText(naive), "retries went out within 50 ms of a 429") {
		t.Errorf("naive's retry storm not found:\n%s", findingsText(naive))
	}
	if !strings.Contains(findingsText(access), `Client "sync-job" retried within 50 ms of a 429`) {
		t.Errorf("server-side view misses the client's storm:\n%s", findingsText(access))
	}
	m := naive.Metrics
	if m.Succeeded+m.Failed != 80 || m.Ratio429 < 0.5 || m.AttemptSuccess > 0.5 || m.ImmediateRetries == 0 {
		t.Errorf("naive metrics %+v", m)
	}
	ra := naive.RetryAfter
	if ra.ZeroFraction != 1 || ra.Compared != ra.Throttled || ra.MeanTrueWait <= 0 || ra.ShortFraction != 1 {
		t.Errorf("naive Retry-After %+v", ra)
	}
	// The adaptive run is healthy.
	ad := analyzeFixtures(t, "testdata/adaptive.jsonl")[0]
	if ad.Metrics.SuccessRate != 1 || ad.Metrics.Amplification > 1.3 || ad.Metrics.PrematureRetries != 0 {
		t.Errorf("adaptive metrics %+v", ad.Metrics)
	}
}

func TestMetricDefinitions(t *testing.T) {
	log := `{"schema":1,"type":"header","scenario":"x","strategy":"s","operation":"get-user","ops":3,"happy_path":1,"rate":10,"capacity":2}
{"schema":1,"type":"attempt","op":1,"attempt":1,"sent_ns":0,"latency_ns":10000000,"status":429,"retry_after":"1","retry_after_ns":1000000000,"decision":"retry","wait_ns":1000000000}
{"schema":1,"type":"attempt","op":1,"attempt":2,"sent_ns":500000000,"latency_ns":10000000,"status":200,"decision":"done"}
{"schema":1,"type":"operation","op":1,"start_ns":0,"end_ns":510000000,"attempts":2,"ok":true,"status":200,"reason":"ok"}
{"schema":1,"type":"attempt","op":2,"attempt":1,"sent_ns":100000000,"latency_ns":10000000,"status":200,"decision":"done"}
{"schema":1,"type":"operation","op":2,"start_ns":100000000,"end_ns":110000000,"attempts":1,"ok":true,"status":200,"reason":"ok"}
{"schema":1,"type":"attempt","op":3,"attempt":1,"sent_ns":200000000,"latency_ns":10000000,"status":404,"decision":"fail"}
{"schema":1,"type":"operation","op":3,"start_ns":200000000,"end_ns":210000000,"attempts":1,"ok":false,"status":404,"reason":"status-404"}
{"schema":1,"type":"summary","summary":{"elapsed_ns":1000000000}}
`
	dir := t.TempDir()
	p := filepath.Join(dir, "m.jsonl")
	os.WriteFile(p, []byte(log), 0o644)
	r := analyzeFixtures(t, p)[0]
	m := r.Metrics
	check := func(name string, got, want float64) {
		t.Helper()
		if d := got - want; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("success_rate", m.SuccessRate, 2.0/3)
	check("attempt_success", m.AttemptSuccess, 2.0/4)
	check("amplification", m.Amplification, 4.0/3)
	check("429 ratio", m.Ratio429, 1.0/4)
	check("goodput", m.Goodput, 2)
	check("efficiency", *m.Efficiency, 1) // goodput 2 of capacity 2 (offered 10)
	check("latency max", m.LatencyMax, 0.51)
	check("drain time", m.DrainTime, 0.31) // last end 0.51 - last intended start 0.2
	if m.PrematureRetries != 1 {           // retried at 0.5 s after a 1 s hint received at 0.01 s
		t.Errorf("premature = %d", m.PrematureRetries)
	}
	for expr, pass := range map[string]bool{"success_rate >= 0.6": true, "premature_retries == 0": false, "429_ratio < 0.3": true, "latency_p99 <= 0.1": false} {
		a, err := ParseAssertion(expr)
		if err != nil {
			t.Fatal(err)
		}
		if v := a.Check(r); v.Pass != pass {
			t.Errorf("%s: pass=%v (observed %v)", expr, v.Pass, v.Observed)
		}
	}
}

func TestAssertionErrors(t *testing.T) {
	_, err := ParseAssertion("sucess_rate >= 0.9")
	if err == nil || !strings.Contains(err.Error(), `unknown metric "sucess_rate"`) || !strings.Contains(err.Error(), "success_rate") {
		t.Errorf("unknown metric: %v", err)
	}
	if _, err := ParseAssertion("success_rate => 0.9"); err == nil {
		t.Error("bad operator accepted")
	}
	// A client metric the access log cannot infer is missing, which fails.
	access := analyzeFixtures(t, "testdata/access.jsonl")[0]
	a, _ := ParseAssertion("attempt_success >= 0")
	if v := a.Check(access); v.Pass || !v.Missing {
		t.Errorf("client metric on an access log: %+v", v)
	}
	// One it infers is checked (docs/operation-inference.md).
	a, _ = ParseAssertion("success_rate >= 0")
	if v := a.Check(access); !v.Pass || v.Missing {
		t.Errorf("inferred metric on an access log: %+v", v)
	}
}

func TestReaderErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	head := `{"schema":1,"type":"header","scenario":"x","operation":"get-user","ops":1}` + "\n"
	good := `{"schema":1,"type":"attempt","op":1,"attempt":1,"status":200,"decision":"done"}` + "\n"
	cases := []struct{ name, body, want string }{
		{"empty.jsonl", "", "empty.jsonl:1: empty log"},
		{"nohead.jsonl", good, "nohead.jsonl:1:"},
		{"garbage.jsonl", head + good + "{nope\n", "garbage.jsonl:3:"},
		{"schema.jsonl", head + `{"schema":2,"type":"attempt"}` + "\n", "schema.jsonl:2: schema 2"},
		{"mixed.jsonl", head + `{"schema":1,"type":"request"}` + "\n", `mixed.jsonl:2: unexpected record type "request" in an attempts log`},
	}
	for _, c := range cases {
		_, err := Analyze([]string{write(c.name, c.body)}, Options{})
		var le *record.LineError
		if err == nil || !strings.Contains(err.Error(), c.want) || (c.name != "empty.jsonl" && !errors.As(err, &le)) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	runs, err := Analyze([]string{write("lenient.jsonl", head+good+"{nope\n"+good)}, Options{Read: record.Options{Lenient: true}})
	if err != nil || runs[0].Skipped != 1 || runs[0].Metrics.Attempts != 2 {
		t.Errorf("lenient: %v %+v", err, runs)
	}
}

// FuzzStream feeds arbitrary lines to the reader: no panics, and errors
// always name the file and a line.
func FuzzStream(f *testing.F) {
	for _, p := range fixtures {
		b, _ := os.ReadFile(p)
		lines := bytes.SplitN(b, []byte("\n"), 6)
		f.Add(bytes.Join(lines[:min(5, len(lines))], []byte("\n")))
	}
	f.Add([]byte(`{"schema":1,"type":"header","operation":"x"}` + "\n" + `{"schema":1,"type":"attempt","retry_after_ns":-1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a := newAccumulator("fuzz.jsonl")
		_, _, err := record.Stream("fuzz.jsonl", bytes.NewReader(data), a, record.Options{})
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.jsonl:") {
				t.Fatalf("error without file and line: %v", err)
			}
			return
		}
		a.finish()
	})
}

// BenchmarkIngest measures streaming ingest of attempt records.
func BenchmarkIngest(b *testing.B) {
	data, err := os.ReadFile("testdata/naive.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	head, body := lines[0], lines[1:]
	var big bytes.Buffer
	big.Write(head)
	big.WriteByte('\n')
	for big.Len() < 8<<20 {
		for _, l := range body {
			big.Write(l)
			big.WriteByte('\n')
		}
	}
	records := bytes.Count(big.Bytes(), []byte("\n")) - 1
	b.SetBytes(int64(big.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := newAccumulator("bench")
		if _, _, err := record.Stream("bench", bytes.NewReader(big.Bytes()), a, record.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkIngestStdlibBaseline decodes the same records with
// encoding/json, each into its own record type (known in advance), and
// does nothing else: the baseline bench/analysis.sh compares ingest with.
func BenchmarkIngestStdlibBaseline(b *testing.B) {
	data, err := os.ReadFile("testdata/naive.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))[1:]
	into := make([]func() any, len(lines))
	for i, l := range lines {
		switch {
		case bytes.Contains(l, []byte(`"type":"attempt"`)):
			into[i] = func() any { return new(record.Attempt) }
		case bytes.Contains(l, []byte(`"type":"operation"`)):
			into[i] = func() any { return new(record.Operation) }
		default:
			into[i] = func() any { return new(record.Final) }
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		j := i % len(lines)
		if err := stdjson.Unmarshal(lines[j], into[j]()); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

// TestFixedWindowSignature: on a gateway with a one-minute fixed window,
// the access log's 429 streaks end at minute boundaries.
func TestFixedWindowSignature(t *testing.T) {
	sc, err := scenarios.Embedded("retry-after-zero")
	if err != nil {
		t.Fatal(err)
	}
	var gw bytes.Buffer
	if _, err := probe.Probe(context.Background(), probe.Options{Scenario: sc, Strategy: "fixed", Params: map[string]string{"delay": "2s"},
		Ops: 2000, Target: target.Spec{Virtual: true, GatewayLog: &gw}}); err != nil {
		t.Fatal(err)
	}
	run, err := AnalyzeReader("access.jsonl", &gw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if run.FixedWindow == nil || run.FixedWindow.Window != 60 {
		t.Fatalf("fixed-window signature: %+v (findings %v)", run.FixedWindow, findingsText(run))
	}
	if !strings.Contains(findingsText(run), "60 s window boundary") {
		t.Errorf("no finding names the window:\n%s", findingsText(run))
	}
}

// TestWavesPeakTieIsEarliest: when bins tie for the peak, the earliest
// wins, whatever order the bins were filled in.
func TestWavesPeakTieIsEarliest(t *testing.T) {
	for i := 0; i < 50; i++ {
		w := waves(countsOf(map[int64]int{3: 1, 17: 9, 40: 2, 5: 9, 90: 9}))
		if w.Peak != 9 || w.PeakTime != 0.5 {
			t.Fatalf("peak %d at %v s, want 9 at 0.5 s", w.Peak, w.PeakTime)
		}
	}
}
