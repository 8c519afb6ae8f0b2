package probe

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ratelab/ratelab/probe/client"

	"github.com/ratelab/ratelab/mockgateway"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/scenarios"
	"github.com/ratelab/ratelab/target"
)

func scenario(t *testing.T, src string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// fastSeed is seed-eu-identity compressed 10×: the same buckets, hint
// policy and background load, at 50 ops/s instead of 5.
func fastSeed(t *testing.T) *scenarios.Scenario {
	t.Helper()
	src, err := scenarios.Source("seed-eu-identity")
	if err != nil {
		t.Fatal(err)
	}
	return scenario(t, strings.Replace(string(src), "seed: 1\n", "seed: 1\ntime_scale: 10\n", 1))
}

type logged struct {
	header     record.Header
	attempts   []record.Attempt
	operations []record.Operation
	final      *record.Final
}

func parseLog(t *testing.T, b []byte) logged {
	t.Helper()
	var l logged
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var kind struct {
			Schema int    `json:"schema"`
			Type   string `json:"type"`
		}
		if err := json.Unmarshal(sc.Bytes(), &kind); err != nil || kind.Schema != 1 {
			t.Fatalf("bad line %s", sc.Bytes())
		}
		switch kind.Type {
		case "header":
			json.Unmarshal(sc.Bytes(), &l.header)
		case "attempt":
			var a record.Attempt
			json.Unmarshal(sc.Bytes(), &a)
			l.attempts = append(l.attempts, a)
		case "operation":
			var o record.Operation
			json.Unmarshal(sc.Bytes(), &o)
			l.operations = append(l.operations, o)
		case "summary":
			l.final = &record.Final{}
			json.Unmarshal(sc.Bytes(), l.final)
		default:
			t.Fatalf("unknown record type %q", kind.Type)
		}
	}
	return l
}

func probeRun(t *testing.T, o Options) (*Result, logged) {
	t.Helper()
	var buf bytes.Buffer
	o.Log = &buf
	res, err := Probe(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	l := parseLog(t, buf.Bytes())
	if l.final == nil || len(l.operations) != res.Summary.Succeeded+res.Summary.Failed+countReason(l.operations, "interrupted") {
		t.Fatalf("log does not account for every operation: %+v", res.Summary)
	}
	return res, l
}

func countReason(ops []record.Operation, reason string) int {
	n := 0
	for _, o := range ops {
		if o.Reason == reason {
			n++
		}
	}
	return n
}

// TestSeedScenarioSymptoms reproduces the seed report on a 10× compressed
// copy of seed-eu-identity over loopback: naive re-sends at once after
// Retry-After: 0 and loses operations to the attempt cap; full-jitter gets
// operations through with well under 90% of attempts succeeding; adaptive
// reaches >= 99% with amplification <= 1.3.
func TestSeedScenarioSymptoms(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three real-time probes")
	}
	sc := fastSeed(t)

	res, l := probeRun(t, Options{Scenario: sc, Strategy: "naive", Ops: 60})
	immediate := 0
	for _, a := range l.attempts {
		if a.Status == 429 && a.RetryAfter == "0" && a.Decision == record.DecisionRetry && a.WaitNS == 0 {
			immediate++
		}
	}
	if immediate < 10 || countReason(l.operations, "attempt-cap") == 0 {
		t.Errorf("naive: %d immediate re-sends after Retry-After: 0, %d ops at the attempt cap", immediate, countReason(l.operations, "attempt-cap"))
	}
	t.Logf("naive:       success %.2f attempt success %.2f amplification %.2f", res.Summary.SuccessRate, res.Summary.AttemptRate, res.Summary.Amplify)

	res, _ = probeRun(t, Options{Scenario: sc, Strategy: "full-jitter", Params: map[string]string{"base": "10ms", "cap": "3s"}, Ops: 60})
	if res.Summary.SuccessRate < 0.95 || res.Summary.AttemptRate >= 0.9 {
		t.Errorf("full-jitter: success %.2f, attempt success %.2f (want >= 0.95 and < 0.9)", res.Summary.SuccessRate, res.Summary.AttemptRate)
	}
	t.Logf("full-jitter: success %.2f attempt success %.2f amplification %.2f", res.Summary.SuccessRate, res.Summary.AttemptRate, res.Summary.Amplify)

	res, _ = probeRun(t, Options{Scenario: sc, Strategy: "adaptive", Ops: 60})
	if res.Summary.SuccessRate < 0.99 || res.Summary.Amplify > 1.3 {
		t.Errorf("adaptive: success %.2f amplification %.2f (want >= 0.99 and <= 1.3)", res.Summary.SuccessRate, res.Summary.Amplify)
	}
	t.Logf("adaptive:    success %.2f attempt success %.2f amplification %.2f", res.Summary.SuccessRate, res.Summary.AttemptRate, res.Summary.Amplify)
}

func TestNaiveAgainstRetryAfterZeroStopsAtCaps(t *testing.T) {
	sc := scenario(t, `
name: zero
gateway:
  buckets: [{name: b, scope: global, algorithm: fixed-window, limit: 5/min}]
  routes: [{match: "*", buckets: [b]}]
  retry_after: {mode: zero}
workload: {operation: get-user, ops: 10, concurrency: 2, strategy: naive}
`)
	// Each run ends promptly: a connection the client dialed but never
	// used once held the local gateway's shutdown up for five seconds.
	start := time.Now()
	res, l := probeRun(t, Options{Scenario: sc, MaxAttempts: 7})
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("a run of 10 quick operations took %v", el)
	}
	if res.Summary.Succeeded != 5 || res.Summary.Failed != 5 || countReason(l.operations, "attempt-cap") != 5 {
		t.Fatalf("attempt cap: %+v", res.Summary)
	}
	for _, o := range l.operations {
		if o.Attempts > 7 {
			t.Fatalf("op %d made %d attempts past the cap of 7", o.Op, o.Attempts)
		}
	}
	res, _ = probeRun(t, Options{Scenario: sc, MaxAttempts: 1000, MaxRequests: 40})
	if res.Summary.Attempts > 40 || res.Summary.CapReached != "request-cap" {
		t.Fatalf("request cap: %+v", res.Summary)
	}
	start = time.Now()
	res, _ = probeRun(t, Options{Scenario: sc, Strategy: "fixed", Params: map[string]string{"delay": "50ms"}, MaxAttempts: 100000, MaxRequests: 100000, MaxDuration: 400 * time.Millisecond})
	if res.Summary.CapReached != "time-cap" || time.Since(start) > 3*time.Second {
		t.Fatalf("time cap: %+v after %v", res.Summary, time.Since(start))
	}
}

func TestInterruptWritesEverything(t *testing.T) {
	sc := scenario(t, `
name: slow
gateway:
  faults: {latency: {dist: constant, value: 20ms}}
workload: {operation: update-user, ops: 1000, concurrency: 4, strategy: none}
`)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	var buf bytes.Buffer
	res, err := Probe(ctx, Options{Scenario: sc, Log: &buf})
	if err != nil {
		t.Fatal(err)
	}
	l := parseLog(t, buf.Bytes())
	s := l.final.Summary
	if !s.Interrupted || s.Succeeded == 0 || s.Succeeded >= 1000 || s.Succeeded != res.Summary.Succeeded {
		t.Fatalf("summary after interrupt: %+v", s)
	}
	if got := len(l.attempts); got != s.Attempts {
		t.Fatalf("%d attempt records for %d attempts", got, s.Attempts)
	}
	// Every attempt sent was answered and recorded: none lost to the stop.
	for _, a := range l.attempts {
		if a.Status == 0 && !a.LocalDrop {
			t.Fatalf("attempt cut off by the interrupt: %+v", a)
		}
	}
}

func TestOpenLoopLatencyIncludesQueueing(t *testing.T) {
	// 20 ops/s offered against 10/s admitted: a paced strategy queues, and
	// latency is measured from the intended start, so it grows.
	sc := scenario(t, `
name: overload
gateway:
  buckets: [{name: b, scope: global, algorithm: token-bucket, limit: 10/s, burst: 1}]
  routes: [{match: "*", buckets: [b]}]
workload: {operation: get-user, ops: 30, rate: 20/s, strategy: token-bucket, params: {rate: 10/s}}
`)
	_, l := probeRun(t, Options{Scenario: sc})
	var worst time.Duration
	for _, o := range l.operations {
		if !o.OK {
			t.Fatalf("op failed: %+v", o)
		}
		worst = max(worst, time.Duration(o.EndNS-o.StartNS))
		if o.Op == 30 {
			if want := int64(29 * 50 * time.Millisecond); o.StartNS != want {
				t.Fatalf("intended start of op 30 = %v, want %v", time.Duration(o.StartNS), time.Duration(want))
			}
		}
	}
	// 30 ops offered over 1.45 s but paced at 10/s take about 3 s: some
	// operation waited over a second, and its latency must show it.
	if worst < time.Second {
		t.Fatalf("worst latency %v hides the queueing", worst)
	}
}

func TestRampArrivals(t *testing.T) {
	r := &runner{cfg: Config{Rate: 1, RampTo: 21, Ramp: 10 * time.Second}}
	// N(10s) = 1·10 + 20·10/2 = 110 arrivals during the ramp.
	if got := r.arrival(110, 0, nil); got != 10*time.Second {
		t.Fatalf("arrival 110 at %v, want 10s", got)
	}
	if got := r.arrival(131, 0, nil); got != 11*time.Second {
		t.Fatalf("arrival 131 at %v, want 11s (21/s after the ramp)", got)
	}
	if a, b := r.arrival(1, 0, nil), r.arrival(2, 0, nil); !(a > 0 && b-a < a) {
		t.Fatalf("ramp does not accelerate: %v, %v", a, b)
	}
}

func TestLiveStyleTargetSafety(t *testing.T) {
	sc := scenario(t, "name: live\nclients: [{id: live-app, secret: s3cr3t-value}]\ngateway: {users: {count: 5}}\n")
	gw, err := mockgateway.New(mockgateway.Options{Scenario: sc})
	if err != nil {
		t.Fatal(err)
	}
	var gwLog bytes.Buffer
	_ = gwLog
	srv := httptest.NewTLSServer(gw)
	defer srv.Close()
	env := map[string]string{"GENESYS_CLIENT_ID": "live-app", "GENESYS_CLIENT_SECRET": "s3cr3t-value"}
	getenv := func(k string) string { return env[k] }

	// A local HTTPS target behaves like a live one: the client logs in on
	// the same host (no "api." to replace) and updates users.
	var buf bytes.Buffer
	res, err := Probe(context.Background(), Options{Scenario: sc, Target: target.Spec{URL: srv.URL, HTTP: srv.Client(), Getenv: getenv}, Ops: 5, Concurrency: 1, Log: &buf})
	if err != nil || res.Summary.Succeeded != 5 {
		t.Fatalf("HTTPS target: %v %+v", err, res)
	}
	if strings.Contains(buf.String(), "s3cr3t-value") {
		t.Fatal("the client secret appears in the attempt log")
	}

	cases := []struct {
		name string
		o    Options
		want string
	}{
		{"plain http to a remote host", Options{Target: target.Spec{URL: "http://api.example.com"}}, "plain http"},
		{"writes to a remote host", Options{Target: target.Spec{URL: "https://api.example.com"}, Operation: "update-user"}, "--allow-writes"},
		{"no credentials", Options{Target: target.Spec{URL: "https://api.example.com"}, Operation: "get-user"}, "GENESYS_CLIENT_ID"},
		{"not a URL", Options{Target: target.Spec{URL: "api.example.com"}}, "not an http(s) URL"},
	}
	for _, c := range cases {
		c.o.Scenario = sc
		_, err := Probe(context.Background(), c.o)
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// A wrong secret fails without echoing it.
	env["GENESYS_CLIENT_SECRET"] = "wrong-s3cr3t"
	_, err = Probe(context.Background(), Options{Scenario: sc, Target: target.Spec{URL: srv.URL, HTTP: srv.Client(), Getenv: getenv}, Ops: 1, Concurrency: 1})
	if err != nil && strings.Contains(err.Error(), "wrong-s3cr3t") {
		t.Fatalf("error leaks the secret: %v", err)
	}
}

func TestLoadWork(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	items, err := LoadWork(write("ok.csv", "id,email,department\nu1,a@x.com,Sales\nu2,b@x.com,Ops\n"))
	if err != nil || len(items) != 2 || items[1].Changes.Department != "Ops" {
		t.Fatalf("csv: %v %+v", err, items)
	}
	items, err = LoadWork(write("ok.jsonl", `{"id":"u1","email":"a@x.com"}`+"\n\n"+`{"id":"u2","version":3}`+"\n"))
	if err != nil || len(items) != 2 || items[1].Version != 3 {
		t.Fatalf("jsonl: %v %+v", err, items)
	}
	for name, body := range map[string]string{
		"badcol.csv":    "id,mail\nu1,a\n",
		"noid.csv":      "email\na@x.com\n",
		"emptyid.csv":   "id,email\n,a@x.com\n",
		"badver.csv":    "id,version\nu1,abc\n",
		"bad.jsonl":     `{"id":"u1"}` + "\n" + `{"id":` + "\n",
		"unknown.jsonl": `{"id":"u1","colour":"red"}` + "\n",
		"work.txt":      "u1\n",
	} {
		_, err := LoadWork(write(name, body))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err = LoadWork(write("line.jsonl", `{"id":"u1"}`+"\n"+`{"id":`+"\n"))
	if err == nil || !strings.Contains(err.Error(), "line.jsonl:2:") {
		t.Errorf("jsonl error without its line: %v", err)
	}
}

func TestContentionConflictsAreRetried(t *testing.T) {
	sc := scenario(t, `
name: race
gateway:
  faults: {latency: {dist: constant, value: 5ms}}
  users: {count: 3}
workload: {operation: update-user, ops: 20, concurrency: 8, users: 1, strategy: full-jitter, params: {base: 5ms, cap: 200ms}, max_attempts: 60}
`)
	res, l := probeRun(t, Options{Scenario: sc})
	conflicts := 0
	for _, a := range l.attempts {
		if a.Status == 409 {
			conflicts++
			if a.Decision != record.DecisionRetry {
				t.Fatalf("409 not retried: %+v", a)
			}
		}
	}
	if conflicts == 0 || res.Summary.Succeeded != 20 {
		t.Fatalf("%d conflicts, %+v", conflicts, res.Summary)
	}
}

func scenariosSource() (string, error) {
	b, err := scenarios.Source("seed-eu-identity")
	return string(b), err
}

func mustParse(tb testing.TB, src string) *scenarios.Scenario {
	tb.Helper()
	sc, err := scenarios.Parse("t.yaml", []byte(src))
	if err != nil {
		tb.Fatal(err)
	}
	return sc
}

func TestGenerateWork(t *testing.T) {
	users := []string{"u1", "u2", "u3"}
	a, b := Generate(users, 50, 7), Generate(users, 50, 7)
	re := regexp.MustCompile(`^sync-(\d+)-\d{1,3}@example\.com$`)
	for i, it := range a {
		m := re.FindStringSubmatch(it.Changes.Email)
		if m == nil || m[1] != strconv.Itoa(i+1) || it.User != users[i%3] || it.Changes.Department == "" {
			t.Fatalf("item %d: %+v", i, it)
		}
		if it != b[i] {
			t.Fatalf("item %d differs for the same seed: %+v vs %+v", i, it, b[i])
		}
	}
	if c := Generate(users, 50, 8); c[0] == a[0] && c[1] == a[1] && c[2] == a[2] {
		t.Fatal("different seeds, same work")
	}
}

// TestGeneratedWork: Generated makes Generate's items, one at a time, the
// same as the items generated all at once before it existed; taking one
// out of order panics.
func TestGeneratedWork(t *testing.T) {
	users := []string{"u1", "u2", "u3"}
	all, g := Generate(users, 1000, 7), Generated(users, 1000, 7)
	if g.Len() != 1000 {
		t.Fatalf("Len %d", g.Len())
	}
	for i := range all {
		if it := g.Item(i); it != all[i] {
			t.Fatalf("item %d: %+v, want %+v", i, it, all[i])
		}
	}
	// Items 998-1000 of seed 7 as generated up front (ff0b3dd).
	want := []Item{
		{User: "u2", Changes: client.Changes{Email: "sync-998-581@example.com", Department: "Support"}},
		{User: "u3", Changes: client.Changes{Email: "sync-999-795@example.com", Department: "Billing"}},
		{User: "u1", Changes: client.Changes{Email: "sync-1000-88@example.com", Department: "Operations"}},
	}
	for i, w := range want {
		if all[997+i] != w {
			t.Errorf("item %d: %+v, want %+v", 998+i, all[997+i], w)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("an item taken out of order did not panic")
		}
	}()
	Generated(users, 10, 7).Item(3)
}
