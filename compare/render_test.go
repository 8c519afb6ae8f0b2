package compare

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ratelab/ratelab/scenarios"
)

// TestTableFitsTheTerminal: the default table and its text fit 120
// columns with every strategy and its spread shown, headers as written;
// wide shows every column.
func TestTableFitsTheTerminal(t *testing.T) {
	sc, err := scenarios.Embedded("seed-eu-identity")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{Scenario: sc, Seeds: 2, Ops: 30})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := res.Write(&b, "table"); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(b.String(), "\n") {
		if n := utf8.RuneCountInString(l); n > 120 {
			t.Errorf("line of %d columns:\n%s", n, l)
		}
	}
	for _, want := range append(narrowHeader(), "decorrelated-jitter", "±", "--wide") {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := res.Write(&b, "wide"); err != nil {
		t.Fatal(err)
	}
	for _, want := range header() {
		if !strings.Contains(b.String(), want) {
			t.Errorf("wide table lacks column %q", want)
		}
	}
}
