// Package table is how ratelab prints terminal tables: tablewriter with
// headers as written (no automatic upper-casing, which turned "p99" into
// "P 99" and "ops/s" into "OPS / S"), left-aligned.
package table

import (
	"io"

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
