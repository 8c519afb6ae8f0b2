package table

import (
	"strings"
	"testing"
)

// TestHeadersAsWritten: headers keep their case and punctuation.
func TestHeadersAsWritten(t *testing.T) {
	var b strings.Builder
	tb := New(&b)
	tb.Header("p99 s", "goodput ops/s", "429s")
	if err := tb.Append([]string{"1", "2", "3"}); err != nil {
		t.Fatal(err)
	}
	if err := tb.Render(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"p99 s", "goodput ops/s", "429s"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("header %q garbled:\n%s", want, b.String())
		}
	}
}

// TestWrap: lines break between words at the width; a longer word stands
// alone.
func TestWrap(t *testing.T) {
	for _, c := range []struct {
		in    string
		width int
		want  string
	}{
		{"a bb ccc dddd", 6, "a bb\nccc\ndddd"},
		{"  spaced   out  ", 20, "spaced out"},
		{"tiny enormousword tiny", 5, "tiny\nenormousword\ntiny"},
		{"±±± ±±±", 7, "±±± ±±±"},
	} {
		if got := Wrap(c.in, c.width); got != c.want {
			t.Errorf("Wrap(%q, %d) = %q, want %q", c.in, c.width, got, c.want)
		}
	}
}
