package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// A scenario whose limit the test client never reaches.
const roomyScenario = `
name: roomy
gateway:
  buckets: [{name: b, scope: global, algorithm: token-bucket, limit: 1000/s, burst: 1000}]
  routes: [{match: "*", buckets: [b]}]
assert: ["success_rate >= 0.99", "premature_retries == 0"]
`

func writeScenario(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunClientCannotStart: a client that cannot be started is bad usage
// (exit 2) and nothing is analysed or written.
func TestRunClientCannotStart(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "not-exec.sh")
	os.WriteFile(notExec, []byte("#!/bin/sh\nexit 0\n"), 0o644)
	badInterp := filepath.Join(dir, "bad-interp.sh")
	os.WriteFile(badInterp, []byte("#!/no/such/interpreter\n"), 0o755)
	cases := map[string]string{
		"not found":          "ratelab-no-such-client",
		"not executable":     notExec,
		"missing":            filepath.Join(dir, "missing"),
		"interpreter absent": badInterp,
	}
	for name, cmd := range cases {
		t.Run(name, func(t *testing.T) {
			junit := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".xml")
			code, out, errOut := runCLI(t, "run", "--scenario", "healthy", "--junit", junit, "--", cmd)
			if code != 2 || !strings.Contains(errOut, "cannot start the client") {
				t.Fatalf("exit %d, want 2 and a message\n%s%s", code, out, errOut)
			}
			for _, no := range []string{"PASS", "FAIL", "Findings", "Assertions"} {
				if strings.Contains(out+errOut, no) {
					t.Errorf("a report was printed (%q):\n%s%s", no, out, errOut)
				}
			}
			if _, err := os.Stat(junit); err == nil {
				t.Errorf("--junit was written")
			}
		})
	}
}

// TestRunClientMadeNoRequest: a client that exits 0 without a request
// fails the gate.
func TestRunClientMadeNoRequest(t *testing.T) {
	self, _ := os.Executable()
	t.Setenv("RATELAB_TEST_CLIENT", "silent")
	junit := filepath.Join(t.TempDir(), "j.xml")
	code, out, errOut := runCLI(t, "run", "--scenario", writeScenario(t, roomyScenario), "--junit", junit, "--", self)
	if code != 1 || !strings.Contains(errOut, "the client made no request: is it pointed at $RATELAB_BASE_URL?") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	x := readJUnit(t, junit)
	if c := x.find("client made requests"); len(c) != 1 || c[0].Failure == nil {
		t.Errorf("made-requests case: %+v", c)
	}
}

// TestRunLimitNeverBit: a run without a 429 is reported; with
// --require-throttling it fails.
func TestRunLimitNeverBit(t *testing.T) {
	self, _ := os.Executable()
	t.Setenv("RATELAB_TEST_CLIENT", "polite")
	sc := writeScenario(t, roomyScenario)
	for _, require := range []bool{false, true} {
		junit := filepath.Join(t.TempDir(), "j.xml")
		args := []string{"run", "--scenario", sc, "--junit", junit}
		if require {
			args = append(args, "--require-throttling")
		}
		code, out, errOut := runCLI(t, append(args, "--", self)...)
		want := 0
		if require {
			want = 1
		}
		if code != want || !strings.Contains(errOut, "no 429 was served: this run does not test retry behaviour") {
			t.Fatalf("--require-throttling=%v: exit %d, want %d\n%s%s", require, code, want, out, errOut)
		}
		c := readJUnit(t, junit).find("the limit bit (a 429 was served)")
		if len(c) != 1 || require != (c[0].Failure != nil) || !require != (c[0].Skipped != nil) {
			t.Errorf("--require-throttling=%v: limit case %+v", require, c)
		}
	}
}

// TestRunRepeat: --repeat 3 runs three fresh gateways, each with its own
// log, checks every run, prints the spread and writes a suite per run.
func TestRunRepeat(t *testing.T) {
	self, _ := os.Executable()
	dir := t.TempDir()
	sc := writeScenario(t, runScenario)
	for _, c := range []struct {
		mode string
		code int
	}{{"polite", 0}, {"naive", 1}} {
		t.Run(c.mode, func(t *testing.T) {
			t.Setenv("RATELAB_TEST_CLIENT", c.mode)
			log := filepath.Join(dir, c.mode+".jsonl")
			junit := filepath.Join(dir, c.mode+".xml")
			report := filepath.Join(dir, c.mode+".md")
			code, out, errOut := runCLI(t, "run", "--scenario", sc, "--repeat", "3", "--log", log, "--junit", junit,
				"--report", report, "--assert", "immediate_retries == 0", "--", self)
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, c.code, out, errOut)
			}
			if n := strings.Count(out, "client done"); n != 3 {
				t.Errorf("the client ran %d times", n)
			}
			for _, w := range []string{"repetition 3 of 3", "Spread over 3 repetitions (min / median / max)", "immediate_retries"} {
				if !strings.Contains(errOut, w) {
					t.Errorf("output lacks %q:\n%s", w, errOut)
				}
			}
			// The --assert always; the scenario's success_rate too when
			// the naive client's retries ran out (real time decides).
			if c.code == 1 && !regexp.MustCompile(`repetition 2: [12] assertion\(s\) failed`).MatchString(errOut) {
				t.Errorf("no failure per repetition:\n%s", errOut)
			}
			for i := 1; i <= 3; i++ {
				b, err := os.ReadFile(filepath.Join(dir, c.mode+"."+string(rune('0'+i))+".jsonl"))
				if err != nil || !strings.Contains(string(b), `"status":`) {
					t.Errorf("log of repetition %d: %v", i, err)
				}
			}
			x := readJUnit(t, junit)
			if len(x.Suites) != 3 || len(x.find("immediate_retries == 0")) != 3 {
				t.Fatalf("junit: %d suites", len(x.Suites))
			}
			if md, _ := os.ReadFile(report); !strings.Contains(string(md), "| metric | min | median | max |") {
				t.Errorf("markdown report lacks the spread:\n%s", md)
			}
		})
	}
}

// TestRunJUnitShape: every case has a time, evaluated assertions carry
// their observed value, a scenario assertion is either evaluated or a
// skipped case with its reason (whichever the analysis can do), and the
// findings are in the suite's system-out.
func TestRunJUnitShape(t *testing.T) {
	self, _ := os.Executable()
	t.Setenv("RATELAB_TEST_CLIENT", "naive")
	junit := filepath.Join(t.TempDir(), "j.xml")
	code, out, errOut := runCLI(t, "run", "--scenario", writeScenario(t, runScenario), "--junit", junit,
		"--assert", "immediate_retries == 0", "--", self)
	if code != 1 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	x := readJUnit(t, junit)
	if len(x.Suites) != 1 || !strings.Contains(x.Suites[0].SystemOut.Text, "[high]") {
		t.Fatalf("suite: %+v", x.Suites)
	}
	for _, c := range x.Suites[0].Cases {
		if c.Time == "" {
			t.Errorf("%s has no time", c.Name)
		}
	}
	sr := x.find("success_rate >= 0.99")
	switch {
	case len(sr) != 1:
		t.Fatalf("success_rate cases: %+v", sr)
	case sr[0].Skipped != nil:
		if !strings.Contains(sr[0].Skipped.Message, "cannot evaluate success_rate") {
			t.Errorf("skip reason %q", sr[0].Skipped.Message)
		}
	case !strings.HasPrefix(sr[0].SystemOut.Text, "observed "):
		t.Errorf("evaluated without its observed value: %+v", sr[0])
	}
	if ir := x.find("immediate_retries == 0"); len(ir) != 1 || ir[0].Failure == nil || !strings.HasPrefix(ir[0].Failure.Message, "observed ") {
		t.Errorf("immediate_retries case: %+v", ir)
	}
	pr := x.find("premature_retries == 0")
	if len(pr) != 1 || pr[0].Skipped != nil || !strings.HasPrefix(pr[0].SystemOut.Text, "observed ") {
		t.Errorf("premature_retries case: %+v", pr)
	}
}

func TestRepeatPaths(t *testing.T) {
	for _, c := range []struct {
		path string
		n    int
		want []string
	}{
		{"access.jsonl", 1, []string{"access.jsonl"}},
		{"out/access.jsonl", 2, []string{"out/access.1.jsonl", "out/access.2.jsonl"}},
		{"access", 2, []string{"access.1", "access.2"}},
		{"", 2, []string{"", ""}},
	} {
		if got := repeatPaths(c.path, c.n); !slices.Equal(got, c.want) {
			t.Errorf("repeatPaths(%q, %d) = %q, want %q", c.path, c.n, got, c.want)
		}
	}
}

type junitDoc struct {
	Suites []junitSuite `xml:"testsuite"`
}

func readJUnit(t *testing.T, path string) junitDoc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d junitDoc
	if err := xml.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
	return d
}

// find returns the cases named name in every suite.
func (d junitDoc) find(name string) []junitCase {
	var out []junitCase
	for _, s := range d.Suites {
		for _, c := range s.Cases {
			if c.Name == name {
				out = append(out, c)
			}
		}
	}
	return out
}
