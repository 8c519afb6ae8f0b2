package main

import (
	"os"
	"strings"
	"testing"
)

// runCLI runs the command line args with an empty standard input and
// returns its exit code, standard output and standard error.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCLIIn(t, "", args...)
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"version"}, 0, "ratelab "},
		{[]string{"scenarios", "list"}, 0, "seed-eu-identity"},
		{[]string{"scenarios", "show", "retry-after-zero"}, 0, "mode: zero"},
		{[]string{"scenarios", "show", "nope"}, 2, "no embedded scenario"},
		{[]string{"scenarios", "validate", "../../scenarios/testdata/invalid/no-unit.yaml"}, 2, `no-unit.yaml:7: gateway.buckets[0].window: "60" has no unit`},
		{[]string{"scenarios", "validate", "seed-eu-identity"}, 0, "ok\tseed-eu-identity"},
		{[]string{"scenarios", "validate", "no-such-thing"}, 2, "neither an embedded scenario"},
		{[]string{"strategies", "list"}, 0, "decorrelated-jitter"},
		{[]string{"gateway", "--bogus"}, 2, "unknown flag"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"gateway", "--scenario", "no-such-thing"}, 2, "neither an embedded scenario"},
	}
	for _, c := range cases {
		code, out, errOut := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(out+errOut, c.out) {
			t.Errorf("%v: exit %d, want %d; output %q", c.args, code, c.code, out+errOut)
		}
	}
}

func TestValidateEveryEmbeddedScenarioFile(t *testing.T) {
	dir := t.TempDir()
	_, src, _ := runCLI(t, "scenarios", "show", "seed-eu-identity")
	f := dir + "/seed.yaml"
	os.WriteFile(f, []byte(src), 0o644)
	if code, out, _ := runCLI(t, "scenarios", "validate", f); code != 0 || !strings.HasPrefix(out, "ok") {
		t.Fatalf("validate a shown scenario: %d %s", code, out)
	}
}

func TestHelpTeaches(t *testing.T) {
	for _, cmd := range [][]string{{"--help"}, {"gateway", "--help"}, {"scenarios", "validate", "--help"}} {
		_, out, _ := runCLI(t, cmd...)
		if !strings.Contains(out, "Example") && !strings.Contains(out, "Examples") {
			t.Errorf("%v --help has no examples:\n%s", cmd, out)
		}
	}
}

func TestAnalyzeExitCodes(t *testing.T) {
	naive, access := "../../analysis/testdata/naive.jsonl", "../../analysis/testdata/access.jsonl"
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"analyze", naive, access}, 0, "Retry-After was 0 on 100% of 429s"},
		{[]string{"analyze", naive, "--assert", "success_rate >= 0.99"}, 1, "success_rate >= 0.99 on naive.jsonl: observed 0.775"},
		{[]string{"analyze", naive, "--assert", "amplification <= 10"}, 0, "PASS"},
		{[]string{"analyze", naive, "--assert", "sucess_rate >= 0.99"}, 2, `unknown metric "sucess_rate"`},
		{[]string{"analyze", naive, "--assert", "success_rate is good"}, 2, "not of the form"},
		{[]string{"analyze", naive, "--scenario", "seed-eu-identity"}, 1, "amplification <= 1.3"},
		{[]string{"analyze", naive, "--format", "pdf"}, 2, "valid formats"},
		{[]string{"analyze", "/nonexistent.jsonl"}, 2, "nonexistent.jsonl"},
		{[]string{"analyze", naive, "--format", "markdown"}, 0, "## ratelab analysis"},
	}
	for _, c := range cases {
		code, out, errOut := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(out+errOut, c.want) {
			t.Errorf("%v: exit %d, want %d; output lacks %q:\n%s", c.args, code, c.code, c.want, out+errOut)
		}
	}
}

func TestDiscoverCLI(t *testing.T) {
	code, out, errOut := runCLI(t, "discover", "--scenario", "healthy", "--virtual", "--dry-run")
	if code != 0 || !strings.Contains(errOut, "plan: probe GET /api/v2/users/{id}") || out != "" {
		t.Fatalf("dry run: %d %q %q", code, out, errOut)
	}
	emit := t.TempDir() + "/found.yaml"
	code, out, errOut = runCLI(t, "discover", "--scenario", "retry-after-zero", "--virtual", "--quiet", "--emit-scenario", emit)
	if code != 0 || !strings.Contains(out, "fixed-window") || !strings.Contains(out, "180 per 60s") {
		t.Fatalf("discover: %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runCLI(t, "scenarios", "validate", emit); code != 0 {
		t.Fatalf("emitted scenario: %s", out)
	}
	for _, c := range [][]string{
		{"discover", "--target", "http://api.example.com"},
		{"discover", "--route", "DELETE /api/v2/users/{id}", "--virtual"},
		{"discover", "--format", "xml"},
	} {
		if code, _, _ := runCLI(t, c...); code != 2 {
			t.Errorf("%v: exit %d, want 2", c, code)
		}
	}
}

func TestProbeWithInputFileVirtual(t *testing.T) {
	dir := t.TempDir()
	sc := dir + "/s.yaml"
	os.WriteFile(sc, []byte("name: s\ngateway: {users: {count: 5, ids: sequential}}\nworkload: {operation: update-user, concurrency: 1}\n"), 0o644)
	in := dir + "/work.csv"
	os.WriteFile(in, []byte("id,email,department\nuser-00001,a@x.com,Sales\nuser-00003,b@x.com,Ops\nuser-00005,c@x.com,Billing\n"), 0o644)
	out := dir + "/attempts.jsonl"
	code, stdout, stderr := runCLI(t, "probe", "--scenario", sc, "--input", in, "--virtual", "--quiet", "--out", out)
	if code != 0 || !strings.Contains(stdout, "3 (3 ok, 0 failed, 0 unfinished)") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	log, _ := os.ReadFile(out)
	for _, u := range []string{"user-00001", "user-00003", "user-00005"} {
		if !strings.Contains(string(log), `"user":"`+u+`"`) {
			t.Errorf("no operation on %s", u)
		}
	}
	if code, _, errOut := runCLI(t, "probe", "--scenario", sc, "--input", dir+"/missing.csv", "--virtual"); code != 2 || !strings.Contains(errOut, "missing.csv") {
		t.Errorf("missing input: %d %s", code, errOut)
	}
}
