package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestProgressFitsTheTerminal: at 80 columns (and narrower) the line fits
// and the bar stays visible; details give way first (issue 14: the bar
// collapsed to '| |' at 80 columns).
func TestProgressFitsTheTerminal(t *testing.T) {
	details := []string{"ok 118 failed 2", "attempts 300", "429s 12", "4.1 ops/s"}
	for _, width := range []int{200, 120, 80, 60, 40, 20} {
		p := &progress{name: "probe", unit: "ops", width: width}
		l := p.line(120, 500, details)
		if n := utf8.RuneCountInString(l); n > width-1 {
			t.Errorf("width %d: %d columns: %q", width, n, l)
		}
		if width >= 40 && !strings.Contains(l, "[=") {
			t.Errorf("width %d: no bar: %q", width, l)
		}
		if width >= 80 && !strings.Contains(l, "ok 118 failed 2") {
			t.Errorf("width %d: no details: %q", width, l)
		}
		if !strings.Contains(l, "120/500") {
			t.Errorf("width %d: no count: %q", width, l)
		}
	}
}

// TestProgressWithoutTerminal: in a CI log a plain line every 10 s, not a
// redrawn one.
func TestProgressWithoutTerminal(t *testing.T) {
	var b bytes.Buffer
	now := time.Unix(0, 0)
	p := newProgress(&b, "compare", "runs")
	p.now = func() time.Time { return now }
	p.start, p.last = now, now
	for i := 1; i <= 25; i++ {
		now = now.Add(time.Second)
		p.update(i, 25, func() []string { return []string{"fastest adaptive"} })
	}
	p.finish()
	want := "compare: 10/25 runs · fastest adaptive · 10s\ncompare: 20/25 runs · fastest adaptive · 20s\n"
	if b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
}
