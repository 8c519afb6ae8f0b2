package compare

import (
	"context"
	"runtime/debug"
	"testing"

	"github.com/ratelab/ratelab/scenarios"
)

// BenchmarkSeedComparison is the comparison `ratelab compare --scenario
// seed-eu-identity` runs — the 14 strategies of ratelab's first version ×
// 3 seeds, in virtual time — without the process around it.
// bench/compare.sh copies this file into an older tree to measure both in
// the same run, so it uses only API that tree has too.
func BenchmarkSeedComparison(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	sc, err := scenarios.Embedded("seed-eu-identity")
	if err != nil {
		b.Fatal(err)
	}
	var vs []Variant
	for _, n := range []string{"none", "naive", "fixed", "exponential", "full-jitter", "equal-jitter", "decorrelated-jitter",
		"retry-after", "token-bucket", "retry-budget", "aws-standard", "aws-adaptive", "sre-throttle", "adaptive"} {
		vs = append(vs, NamedVariant(sc, n))
	}
	for i := 0; i < b.N; i++ {
		if _, err := Run(context.Background(), Options{Scenario: sc, Seeds: 3, Variants: vs}); err != nil {
			b.Fatal(err)
		}
	}
}
