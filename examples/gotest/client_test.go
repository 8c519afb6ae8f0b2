package gotest

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ratelab/ratelab/analysis"
	"github.com/ratelab/ratelab/mockgateway"
	"github.com/ratelab/ratelab/scenarios"
)

// A per-minute limit: 40 updates need two windows, so the client must wait
// out most of a minute.
const scenario = `
name: per-minute
gateway:
  buckets:
    - {name: directory, scope: org, algorithm: fixed-window, limit: 30/min, window: 60s,
       namespace: directory, key: user.rate.per.minute}
  routes:
    - {match: "PUT /api/v2/users/{id}", buckets: [directory]}
    - {match: "*", buckets: [directory]}
  retry_after: {mode: accurate}
  users: {count: 40}
`

// TestSyncHonoursRetryAfter runs Sync against the scenario's gateway inside
// a testing/synctest bubble: the gateway reads time.Now and the client's
// time.Sleep waits, both on the bubble's fake clock, and the in-process
// transport needs no sockets. A minute of rate limiting passes in
// milliseconds, and the access log proves no retry came early.
func TestSyncHonoursRetryAfter(t *testing.T) {
	sc, err := scenarios.Parse("per-minute.yaml", []byte(scenario))
	if err != nil {
		t.Fatal(err)
	}
	realStart := time.Now()
	var log bytes.Buffer
	synctest.Test(t, func(t *testing.T) {
		gw, err := mockgateway.New(mockgateway.Options{Scenario: sc, Log: &log})
		if err != nil {
			t.Fatal(err)
		}
		hc := &http.Client{Transport: gw.Transport()}
		creds := gw.Clients()[0]
		start := time.Now()
		n, err := Sync(hc, "http://gateway", creds.ClientID, creds.ClientSecret, gw.SampleUserIDs(40))
		if err != nil || n != 40 {
			t.Fatalf("updated %d of 40: %v", n, err)
		}
		if took := time.Since(start); took < 30*time.Second {
			t.Fatalf("40 updates under a 30/min limit took only %v of fake time", took)
		}
		gw.Close()
	})
	if real := time.Since(realStart); real > time.Second {
		t.Fatalf("took %v of real time", real)
	}
	if !strings.Contains(log.String(), `"status":429`) {
		t.Fatal("the limit never bit: the test proves nothing")
	}
	run, err := analysis.AnalyzeReader("access.jsonl", bytes.NewReader(log.Bytes()), analysis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, expr := range []string{"premature_retries == 0", "immediate_retries == 0"} {
		a, _ := analysis.ParseAssertion(expr)
		if v := a.Check(run); !v.Pass {
			t.Errorf("%s: observed %v", expr, v.Observed)
		}
	}
}
