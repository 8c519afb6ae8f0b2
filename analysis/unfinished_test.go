package analysis

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/scenarios"
	"github.com/ratelab/ratelab/target"
)

// TestUnfinishedLogSaysSo: a log cut before its closing record (a killed
// run) is analysed, and the run says it is unfinished; whole logs do not.
func TestUnfinishedLogSaysSo(t *testing.T) {
	sc, err := scenarios.Embedded("seed-eu-identity")
	if err != nil {
		t.Fatal(err)
	}
	var attempts, access bytes.Buffer
	if _, err := probe.Probe(context.Background(), probe.Options{Scenario: sc, Strategy: "naive", Ops: 20, Seed: 1, Log: &attempts,
		Target: target.Spec{Virtual: true, GatewayLog: &access}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		log  []byte
	}{{"attempts.jsonl", attempts.Bytes()}, {"access.jsonl", access.Bytes()}} {
		whole, err := AnalyzeReader(c.name, bytes.NewReader(c.log), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if whole.Unfinished || strings.Contains(findingsText(whole), "unfinished") {
			t.Errorf("%s: a whole log reads as unfinished", c.name)
		}
		lines := bytes.SplitAfter(bytes.TrimSpace(c.log), []byte("\n"))
		cut := bytes.Join(lines[:len(lines)-1], nil) // without the closing record
		run, err := AnalyzeReader(c.name, bytes.NewReader(cut), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !run.Unfinished || !strings.Contains(findingsText(run), "ends without its closing record") {
			t.Errorf("%s: a log without its closing record is not reported unfinished (findings %v)", c.name, findingsText(run))
		}
	}
}
