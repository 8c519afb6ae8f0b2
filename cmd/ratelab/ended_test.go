package main

import (
	"os"
	"strings"
	"testing"
)

// TestProbeSaysWhyOperationsEnded: against an hourly quota with an
// accurate Retry-After, a strategy that honours it stops its throttled
// operations at once, and probe's summary, then analyze's report of its
// attempt log, say why in one line.
func TestProbeSaysWhyOperationsEnded(t *testing.T) {
	dir := t.TempDir()
	sc := dir + "/quota.yaml"
	os.WriteFile(sc, []byte(`name: quota
gateway:
  buckets: [{name: q, scope: global, algorithm: fixed-window, limit: 5/h, window: 1h}]
  routes: [{match: "*", buckets: [q]}]
  retry_after: {mode: accurate}
  faults: {latency: {dist: constant, mean: 10ms}}
workload: {operation: get-user, ops: 10, concurrency: 10, strategy: retry-after, params: {cap: 5h}}
`), 0o644)
	out := dir + "/attempts.jsonl"
	code, stdout, stderr := runCLI(t, "probe", "--scenario", sc, "--virtual", "--quiet", "--max-duration", "2m", "--out", out)
	const why = "5 stopped: the next wait (up to 1h11m43s) would end past --max-duration 2m"
	if code != 0 || !strings.Contains(stdout, "\nended: 5 ok, "+why+"\n") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, l := range strings.Split(stdout, "\n") {
		if n := len([]rune(l)); n > 120 {
			t.Errorf("a line of %d columns: %s", n, l)
		}
	}
	code, stdout, stderr = runCLI(t, "analyze", out)
	if code != 0 || !strings.Contains(stdout, "│ ended ") || !strings.Contains(stdout, "5 ok, "+why) {
		t.Fatalf("analyze: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "analyze", "--format", "json", out)
	if code != 0 || !strings.Contains(stdout, `"ended": {`) || !strings.Contains(stdout, `"wait-past-cap": 5`) {
		t.Fatalf("analyze --format json: exit %d\n%s", code, stdout)
	}
}
