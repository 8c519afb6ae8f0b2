package main

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestOutputsFit120Columns: what the commands print for a person fits a
// 120-column terminal.
func TestOutputsFit120Columns(t *testing.T) {
	dir := t.TempDir()
	log, gw := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "g.jsonl")
	if code, out, errOut := runCLI(t, "probe", "--virtual", "--quiet", "--ops", "60", "--out", log, "--gateway-log", gw); code != 0 {
		t.Fatalf("probe: %d %s%s", code, out, errOut)
	}
	runs := [][]string{
		{"analyze", log, gw},
		{"discover", "--virtual", "--quiet"},
		{"discover", "--virtual", "--quiet", "--scenario", "stacked-limits"},
		{"compare", "--quiet", "--ops", "20", "--seeds", "2"},
		{"strategies", "list"},
		{"compare", "--quiet", "--scenario", "daily-quota", "--seeds", "1", "--strategies", "naive,adaptive"},
		{"probe", "--help"}, {"analyze", "--help"}, {"discover", "--help"}, {"compare", "--help"}, {"run", "--help"}, {"gateway", "--help"},
		{"scenarios", "list"},
	}
	for _, n := range []string{"adaptive", "aws-adaptive", "sdk-go", "retry-budget"} {
		runs = append(runs, []string{"strategies", "show", n})
	}
	for _, args := range runs {
		_, out, _ := runCLI(t, args...)
		if out == "" {
			t.Errorf("%v printed nothing", args)
		}
		for _, l := range strings.Split(out, "\n") {
			if n := utf8.RuneCountInString(l); n > 120 {
				t.Errorf("%v: a line of %d columns:\n%s", args, n, l)
			}
		}
	}
}
