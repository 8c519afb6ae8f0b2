// Package table is how ratelab prints terminal tables: tablewriter with
// headers as written (no automatic upper-casing, which turned "p99" into
// "P 99" and "ops/s" into "OPS / S"), left-aligned.
package table

import (
	"io"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// New returns a table that writes to w.
func New(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w, tablewriter.WithConfig(tablewriter.NewConfigBuilder().
		WithHeaderAutoFormat(tw.Off).
		WithHeaderAlignment(tw.AlignLeft).
		Build()))
}

// Wrap breaks s between words so no line is longer than width runes (a
// longer word stands on a line of its own).
func Wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for i, word := range strings.Fields(s) {
		k := utf8.RuneCountInString(word)
		switch {
		case i == 0:
		case n+1+k > width:
			b.WriteString("\n")
			n = 0
		default:
			b.WriteString(" ")
			n++
		}
		b.WriteString(word)
		n += k
	}
	return b.String()
}
