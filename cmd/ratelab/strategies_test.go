package main

import (
	"strings"
	"testing"

	"github.com/ratelab/ratelab/probe/strategy"
)

// TestStrategiesShow: every strategy shows its behaviour, parameters,
// where it keeps its state and its source; an unknown name is a usage
// error listing the valid ones.
func TestStrategiesShow(t *testing.T) {
	for _, name := range strategy.Names() {
		code, out, errOut := runCLI(t, "strategies", "show", name)
		for _, want := range []string{name + ": ", "behaviour:", "parameters:", "per operation:", "per client:", "source:"} {
			if code != 0 || !strings.Contains(out, want) {
				t.Errorf("strategies show %s: exit %d, lacks %q:\n%s%s", name, code, want, out, errOut)
			}
		}
	}
	_, out, _ := runCLI(t, "strategies", "show", "decorrelated-jitter")
	if !strings.Contains(out, "per operation: the last sleep") || !strings.Contains(out, "per client:    nothing") {
		t.Errorf("decorrelated-jitter keeps its sleep per operation:\n%s", out)
	}
	_, out, _ = runCLI(t, "strategies", "show", "aws-adaptive")
	if !strings.Contains(out, "per client:    the retry quota") {
		t.Errorf("aws-adaptive shares its quota per client:\n%s", out)
	}
	if code, _, errOut := runCLI(t, "strategies", "show", "nope"); code != 2 || !strings.Contains(errOut, "valid: none, naive") {
		t.Errorf("unknown strategy: exit %d, %q", code, errOut)
	}
}
