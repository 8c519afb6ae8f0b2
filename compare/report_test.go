package compare

import (
	"context"
	"strings"
	"testing"

	"github.com/ratelab/ratelab/scenarios"
)

// TestReports: the HTML page has the verdict, the goodput scatter with a
// point per seed and a timeline per strategy; the Markdown opens with the
// verdict and heads its table, its values on one line.
func TestReports(t *testing.T) {
	sc, err := scenarios.Embedded("seed-eu-identity")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{Scenario: sc, Seeds: 2, Ops: 30, Variants: []Variant{{Name: "naive", Strategy: "naive"}, {Name: "adaptive", Strategy: "adaptive"}, {Name: "full-jitter", Strategy: "full-jitter"}}})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := res.Write(&b, "html"); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	verdict, _ := res.verdictFirst()
	for _, want := range []string{`<p class="verdict">` + verdict, "goodput against amplification, one point per seed", "amplification (requests per operation",
		"goodput (successful operations/s)", "every panel has the same time axis", "white-space:nowrap"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, r := range res.Rows {
		if !strings.Contains(page, ">"+r.Name+"<") {
			t.Errorf("no timeline titled %q", r.Name)
		}
	}
	b.Reset()
	if err := res.Write(&b, "markdown"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if lines[2] != "**"+verdict+"**" {
		t.Errorf("the summary opens with %q, want the verdict", lines[2])
	}
	if !strings.Contains(b.String(), "### Strategies\n\n| #") {
		t.Error("the table has no heading")
	}
	if strings.Contains(b.String(), " ± ") {
		t.Error("a ± value can wrap")
	}
}
