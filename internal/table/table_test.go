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
