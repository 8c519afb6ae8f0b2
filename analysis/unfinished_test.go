package analysis

import (
	"bytes"
	"context"
	"maps"
	"math"
	"strings"
	"testing"
	"time"

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

// TestProbeAndAnalyzeAgree: the probe's printed summary and analyze of its
// log give the same amplification and the same ending counts, including
// for operations that failed part-way (the daily quota stops updates
// after their read) and operations a cap left not run.
func TestProbeAndAnalyzeAgree(t *testing.T) {
	sc, err := scenarios.Embedded("daily-quota")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		strategy string
		max      time.Duration
	}{{"retry-after", 2 * time.Minute}, {"adaptive", 2 * time.Minute}, {"naive", time.Hour}} {
		var attempts bytes.Buffer
		res, err := probe.Probe(context.Background(), probe.Options{Scenario: sc, Strategy: c.strategy, Seed: 1, Log: &attempts,
			MaxDuration: c.max, Target: target.Spec{Virtual: true}})
		if err != nil {
			t.Fatal(err)
		}
		run, err := AnalyzeReader("attempts.jsonl", bytes.NewReader(attempts.Bytes()), Options{})
		if err != nil {
			t.Fatal(err)
		}
		m := run.Metrics
		if math.Abs(m.Amplification-res.Summary.Amplify) > 1e-9 || !maps.Equal(m.Ended, res.Summary.Ended) {
			t.Errorf("%s: probe says amplification %v, ended %v; analyze says %v, %v", c.strategy, res.Summary.Amplify, res.Summary.Ended, m.Amplification, m.Ended)
		}
	}
}

// TestQuotaFinding: a run that met a spent daily quota says so from the
// attempt log alone (Retry-After of hours); one that met only per-minute
// limits does not.
func TestQuotaFinding(t *testing.T) {
	for _, c := range []struct {
		scenario string
		want     bool
	}{{"daily-quota", true}, {"seed-eu-identity", false}} {
		sc, err := scenarios.Embedded(c.scenario)
		if err != nil {
			t.Fatal(err)
		}
		var attempts bytes.Buffer
		if _, err := probe.Probe(context.Background(), probe.Options{Scenario: sc, Strategy: "retry-after", Seed: 1, Log: &attempts,
			MaxDuration: 2 * time.Minute, Target: target.Spec{Virtual: true}}); err != nil {
			t.Fatal(err)
		}
		run, err := AnalyzeReader("attempts.jsonl", bytes.NewReader(attempts.Bytes()), Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Contains(findingsText(run), "a daily quota or a long window is spent")
		if got != c.want || (run.RetryAfter.Long > 0) != c.want {
			t.Errorf("%s: quota finding %v (long hints %d), want %v:\n%s", c.scenario, got, run.RetryAfter.Long, c.want, findingsText(run))
		}
	}
}
