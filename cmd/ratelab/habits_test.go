package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestRateFlags: a rate without a unit and a rate with --concurrency are
// refused with a suggestion, not accepted silently.
func TestRateFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--rate", "5"}, "5/s"},
		{[]string{"--rate", "5/s", "--concurrency", "4"}, "not both"},
		{[]string{"--rate", "1..20/s", "--ramp", "10s"}, "1/s"},
	} {
		args := append([]string{"probe", "--virtual", "--quiet", "--scenario", "healthy", "--ops", "5"}, c.args...)
		if code, _, errOut := runCLI(t, args...); code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, want 2 suggesting %q: %s", c.args, code, c.want, errOut)
		}
	}
	if code, out, errOut := runCLI(t, "probe", "--virtual", "--quiet", "--scenario", "healthy", "--ops", "5", "--rate", "50/s"); code != 0 {
		t.Errorf("--rate 50/s: exit %d\n%s%s", code, out, errOut)
	}
}

// TestNoArgsExplain: analyze and run without arguments say what they need,
// with an example, as usage errors.
func TestNoArgsExplain(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"analyze"}, "ratelab analyze attempts.jsonl"},
		{[]string{"run", "--scenario", "healthy"}, "ratelab run --scenario seed-eu-identity -- python3"},
	} {
		code, _, errOut := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) || strings.Contains(errOut, "requires at least") {
			t.Errorf("%v: exit %d: %s", c.args, code, errOut)
		}
	}
}

// TestInterruptExitCodes: a run stopped by SIGINT writes every record and
// exits 130; by SIGTERM, 143.
func TestInterruptExitCodes(t *testing.T) {
	for sig, want := range map[syscall.Signal]int{syscall.SIGINT: 130, syscall.SIGTERM: 143} {
		out := filepath.Join(t.TempDir(), "a.jsonl")
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(interrupted{sig})
		var stdout, stderr bytes.Buffer
		code := execute(ctx, []string{"probe", "--scenario", "healthy", "--virtual", "--quiet", "--out", out}, &stdout, &stderr)
		if code != want {
			t.Errorf("%v: exit %d, want %d\n%s%s", sig, code, want, stdout.String(), stderr.String())
		}
		if b, _ := os.ReadFile(out); !bytes.Contains(b, []byte(`"type":"summary"`)) || !bytes.Contains(b, []byte(`"interrupted":true`)) {
			t.Errorf("%v: the log lacks its interrupted summary:\n%s", sig, b)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := execute(context.Background(), []string{"version"}, &stdout, &stderr); code != 0 {
		t.Errorf("version: exit %d", code)
	}
}

// TestPlanBeforeTheRun: probe and compare say what they will run on
// standard error before they run it, not only after.
func TestPlanBeforeTheRun(t *testing.T) {
	code, out, errOut := runCLI(t, "probe", "--scenario", "healthy", "--virtual", "--ops", "5")
	want := "probe: scenario healthy · strategy retry-after · operation update-user · 5 ops · target in-process (virtual)\n"
	if code != 0 || !strings.HasPrefix(errOut, want) || !strings.Contains(out, "success rate") {
		t.Errorf("probe: exit %d\nstdout %s\nstderr %q", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "compare", "--scenario", "healthy", "--strategies", "naive,adaptive", "--seeds", "1", "--ops", "10")
	if code != 0 || !strings.HasPrefix(errOut, "compare: scenario healthy · 2 variants × 1 seeds · virtual time\n") {
		t.Errorf("compare: exit %d\nstderr %q", code, errOut)
	}
	if _, _, errOut := runCLI(t, "probe", "--scenario", "healthy", "--virtual", "--ops", "5", "--quiet"); errOut != "" {
		t.Errorf("--quiet: stderr %q", errOut)
	}
}
