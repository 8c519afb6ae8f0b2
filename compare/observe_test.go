package compare

import (
	"bytes"
	"context"
	"reflect"
	"testing"

	"github.com/ratelab/ratelab/analysis"
	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/target"
)

// TestObserverMatchesLog: analysing a run's records as the runner hands
// them to Observe (compare's path) gives what analysing its written
// attempt log gives, field for field.
func TestObserverMatchesLog(t *testing.T) {
	for _, name := range []string{"seed-eu-identity", "flaky-5xx", "contention"} {
		sc := embedded(t, name)
		for _, strat := range []string{"naive", "adaptive", "retry-budget"} {
			vis, finish := analysis.NewVisitor("run")
			var log bytes.Buffer
			if _, err := probe.Probe(context.Background(), probe.Options{Scenario: sc, Strategy: strat, Ops: 60, Seed: 5,
				Target: target.Spec{Virtual: true}, Log: &log, Observe: vis}); err != nil {
				t.Fatal(err)
			}
			fromLog, err := analysis.AnalyzeReader("run", &log, analysis.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := finish(); !reflect.DeepEqual(got, fromLog) {
				t.Errorf("%s/%s: observed analysis differs from the log's:\nobserved %+v\nlog      %+v", name, strat, got.Metrics, fromLog.Metrics)
			}
		}
	}
}
