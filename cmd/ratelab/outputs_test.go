package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLIIn is runCLI with stdin.
func runCLIIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	code := 0
	if err := root.ExecuteContext(context.Background()); err != nil {
		code = 1
		errOut.WriteString(err.Error())
		if _, ok := err.(usageError); ok || isFlagError(err) {
			code = 2
		}
	}
	return code, out.String(), errOut.String()
}

// keep writes content to each of the files and returns a func that
// fails the test when any of them changed.
func keep(t *testing.T, files ...string) func(what string) {
	t.Helper()
	for _, f := range files {
		if err := os.WriteFile(f, []byte("precious "+filepath.Base(f)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return func(what string) {
		t.Helper()
		for _, f := range files {
			if b, _ := os.ReadFile(f); string(b) != "precious "+filepath.Base(f)+"\n" {
				t.Errorf("%s: %s now holds %d bytes: %.60q", what, filepath.Base(f), len(b), b)
			}
		}
	}
}

// TestRefusedRunsKeepOutputs: a run refused for bad usage leaves --out
// and --gateway-log as they were (issue 14 item 7).
func TestRefusedRunsKeepOutputs(t *testing.T) {
	dir := t.TempDir()
	out, gw := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "g.jsonl")
	t.Setenv("GENESYS_CLIENT_ID", "id")
	t.Setenv("GENESYS_CLIENT_SECRET", "secret")
	for _, c := range [][]string{
		{"--strategy", "bogus"},
		{"--operation", "bogus"},
		{"--target", "http://10.0.0.1", "--operation", "get-user"},
		{"--rate", "1/s..5/s"},
		{"--input", filepath.Join(dir, "missing.csv")},
	} {
		check := keep(t, out, gw)
		args := append([]string{"probe", "--virtual", "--quiet", "--ops", "5", "--out", out, "--gateway-log", gw}, c...)
		if c[0] == "--target" {
			args = append([]string{"probe", "--quiet", "--out", out}, c...)
		}
		if code, _, errOut := runCLI(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", c, code, errOut)
		}
		check(strings.Join(c, " "))
	}
}

// TestOutputThatIsAnInput: an output that names an input, or another
// output, is refused before anything is opened.
func TestOutputThatIsAnInput(t *testing.T) {
	dir := t.TempDir()
	work, log := filepath.Join(dir, "w.csv"), filepath.Join(dir, "a.jsonl")
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"probe", "--virtual", "--quiet", "--input", work, "--out", work}, "--out"},
		{[]string{"probe", "--virtual", "--quiet", "--input", work, "--out", filepath.Join(sub, "..", "w.csv")}, "--out"},
		{[]string{"probe", "--virtual", "--quiet", "--out", log, "--gateway-log", log}, "--gateway-log"},
		{[]string{"probe", "--virtual", "--quiet", "--out", "-", "--gateway-log", "-"}, "standard output"},
		{[]string{"analyze", log, "--out", log}, "--out"},
		{[]string{"run", "--report", log, "--junit", log, "--", "true"}, "--junit"},
		{[]string{"run", "--log", log, "--report", log, "--", "true"}, "--report"},
	}
	for _, c := range cases {
		check := keep(t, work, log)
		code, _, errOut := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, want 2 naming %s: %s", c.args, code, c.want, errOut)
		}
		check(strings.Join(c.args, " "))
	}
	// A hard link is the same file under another name.
	link := filepath.Join(sub, "link.csv")
	keep(t, work)
	if err := os.Link(work, link); err == nil {
		check := keep(t, work)
		if code, _, errOut := runCLI(t, "probe", "--virtual", "--quiet", "--input", work, "--out", link); code != 2 {
			t.Errorf("hard link: exit %d: %s", code, errOut)
		}
		check("hard link")
	}
}

// TestPipeProbeToAnalyze: --out - writes the attempt log to standard
// output (the summary then goes to standard error) and 'analyze -' reads
// standard input.
func TestPipeProbeToAnalyze(t *testing.T) {
	code, out, errOut := runCLI(t, "probe", "--scenario", "healthy", "--virtual", "--quiet", "--ops", "20", "--out", "-")
	if code != 0 || !strings.HasPrefix(out, `{"schema":1,"type":"header"`) || !strings.Contains(errOut, "success rate") {
		t.Fatalf("probe --out -: exit %d\nstdout %.200q\nstderr %s", code, out, errOut)
	}
	code, report, errOut := runCLIIn(t, out, "analyze", "-", "--assert", "success_rate >= 0.99")
	if code != 0 || !strings.Contains(report, "PASS") {
		t.Fatalf("analyze -: exit %d\n%s%s", code, report, errOut)
	}
	if _, err := os.Stat("-"); err == nil {
		t.Error("a file named - was created")
	}
}

// TestWriteAtomic: a report is written beside its path and renamed into
// place: a failed write leaves the old file and no temporary one.
func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.md")
	os.WriteFile(path, []byte("old"), 0o644)
	err := writeAtomic(nil, "--out", path, func(w io.Writer) error {
		io.WriteString(w, "half a rep")
		return errors.New("boom")
	})
	if b, _ := os.ReadFile(path); err == nil || string(b) != "old" {
		t.Fatalf("failed write: %v, file now %q", err, b)
	}
	if err := writeAtomic(nil, "--out", path, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Fatalf("file now %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("left behind: %v", ents)
	}
}
