package metric_test

import (
	"slices"
	"testing"

	"github.com/ratelab/ratelab/analysis"
	"github.com/ratelab/ratelab/analysis/metric"
)

// TestNamesMatchAnalysis keeps the list scenarios validates against in step
// with the metrics analysis computes: add a new metric to both.
func TestNamesMatchAnalysis(t *testing.T) {
	if got, want := metric.Names(), analysis.MetricNames(); !slices.Equal(got, want) {
		t.Errorf("metric.Names() = %v\nanalysis.MetricNames() = %v", got, want)
	}
	for _, n := range analysis.MetricNames() {
		if !metric.Known(n) {
			t.Errorf("Known(%q) = false", n)
		}
	}
	if metric.Known("succes_rate") {
		t.Error("Known(succes_rate) = true")
	}
}
