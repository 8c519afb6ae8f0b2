package probe

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ratelab/ratelab/target"
)

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestGatewayLogErrorFailsTheRun: when the gateway's access log cannot be
// written (a full disk, a closed pipe), the probe says so instead of
// exiting as if the log were whole.
func TestGatewayLogErrorFailsTheRun(t *testing.T) {
	sc := fastSeed(t)
	_, err := Probe(context.Background(), Options{Scenario: sc, Strategy: "naive", Ops: 5, Seed: 1,
		Target: target.Spec{Virtual: true, GatewayLog: failingWriter{}}})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v, want the access log's write error", err)
	}
}
