package analysis

import (
	"strings"
	"testing"
)

// TestStoryCharts: a client log joined with its access log charts the
// binding bucket and the hints against the true wait; every compared
// run's timeline has one bin width and range, stated in its title.
func TestStoryCharts(t *testing.T) {
	runs := analyzeFixtures(t, fixtures...)
	naive := runs[0]
	if key, limit := bindingBucket(naive); key.bucket != "directory" || limit != 20 {
		t.Errorf("binding bucket %q (capacity %g), want directory (20)", key.bucket, limit)
	}
	if got := mainClient(naive); got == "" {
		t.Error("no main client in the joined log")
	}
	ax := sharedAxes(runs)
	for _, r := range runs {
		bins := rebin(r, ax.bin, ax.from, ax.to)
		if got, want := bins[len(bins)-1].T+ax.bin, ax.to; got < want-1e-9 || got > want+1e-9 {
			t.Errorf("%s: timeline ends at %g s, want %g", r.File, got, want)
		}
		total, want := 0, 0
		for _, b := range bins {
			total += b.OK + b.Throttled + b.Other
		}
		for _, b := range r.Timeline {
			want += b.OK + b.Throttled + b.Other
		}
		if total != want {
			t.Errorf("%s: re-binned timeline counts %d outcomes, want %d", r.File, total, want)
		}
	}
	var b strings.Builder
	if err := NewReport(runs, nil).Write(&b, "html"); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	heading := "Outcomes per " + secs(ax.bin)
	if n := strings.Count(page, heading); n != len(runs) {
		t.Errorf("%q heads %d timelines, want %d (one bin width for every run)", heading, n, len(runs))
	}
	for _, want := range []string{"tokens left", "true wait (gateway)", "Retry-After hint", "seconds to wait", "Other tenants", "latency (s)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(page, "per second") {
		t.Error("a chart is headed per second")
	}
}

// TestMarkdownVerdictFirst: the verdict opens the Markdown report and
// every table has a heading.
func TestMarkdownVerdictFirst(t *testing.T) {
	runs := analyzeFixtures(t, fixtures...)
	a, err := ParseAssertion("success_rate >= 0.99")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := NewReport(runs, []Assertion{a}).Write(&b, "markdown"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if !strings.HasPrefix(lines[2], "**FAIL**") {
		t.Errorf("the report opens with %q, want the verdict", lines[2])
	}
	for i, l := range lines {
		if strings.HasPrefix(l, "|---") && !strings.HasPrefix(lines[i-3], "###") {
			t.Errorf("table at line %d has no heading above it (%q)", i, lines[i-3])
		}
	}
}
