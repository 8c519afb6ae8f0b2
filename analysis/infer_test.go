package analysis

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/scenarios"
	"github.com/ratelab/ratelab/target"
)

var accuracyTable = flag.String("accuracy-table", "", "write the inference accuracy table (Markdown) to this file")

// accuracyStrategies are the strategies the accuracy test runs every
// scenario with: no retry, immediate retries, the jittered and hinted
// classics, and the client-side limiter that drops locally.
var accuracyStrategies = []string{"none", "naive", "full-jitter", "retry-after", "adaptive", "token-bucket"}

// accuracyExcluded are the scenarios the bounds cannot hold for, by any
// rule that reads the access log alone, with the reason
// (docs/operation-inference.md says more). None is today; a scenario put
// here is still run, and its numbers logged and tabled.
var accuracyExcluded = map[string]string{}

// accuracyOps caps operations per run, to keep the test short under -race.
const accuracyOps = 300

type accuracyRow struct {
	scenario, strategy       string
	seed                     uint64
	trueSuccess, infSuccess  float64
	trueAmp, infAmp          float64
	trueOps, infOps, ambiguo int
	infSuccessMin            float64
}

// reuse, when set, runs a scenario's work over one user with a given
// number of operations and attempt cap, so one client's operations on one
// user follow and overlap each other and some are abandoned.
type reuse struct{ ops, maxAttempts int }

func runAccuracy(t *testing.T, name, strat string, seed uint64, re *reuse) accuracyRow {
	t.Helper()
	sc, err := scenarios.Embedded(name)
	if err != nil {
		t.Fatal(err)
	}
	ops := sc.Workload.Ops
	if ops == 0 || ops > accuracyOps {
		ops = accuracyOps
	}
	maxAttempts := 0
	if re != nil {
		sc.Workload.Users = 1
		ops, maxAttempts = re.ops, re.maxAttempts
	}
	var gw, attempts bytes.Buffer
	if _, err := probe.Probe(context.Background(), probe.Options{Scenario: sc, Strategy: strat, Seed: seed, Ops: ops, MaxAttempts: maxAttempts,
		Target: target.Spec{Virtual: true, GatewayLog: &gw}, Log: &attempts}); err != nil {
		t.Fatalf("%s/%s/%d: %v", name, strat, seed, err)
	}
	truth, err := AnalyzeReader("attempts.jsonl", &attempts, Options{})
	if err != nil {
		t.Fatal(err)
	}
	inf, err := AnalyzeReader("access.jsonl", &gw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if truth.Metrics == nil || inf.Kind != record.Access || inf.Inferred == nil {
		t.Fatalf("%s/%s/%d: no metrics to compare (truth %v, inferred %v)", name, strat, seed, truth.Metrics, inf.Inferred)
	}
	m, i := truth.Metrics, inf.Inferred
	return accuracyRow{scenario: name, strategy: strat, seed: seed, trueSuccess: m.SuccessRate, infSuccess: i.SuccessRate,
		trueAmp: m.Amplification, infAmp: i.Amplification, trueOps: m.Ops, infOps: i.Ops, ambiguo: i.Ambiguous, infSuccessMin: i.SuccessRateMin}
}

// TestInferenceAccuracy runs every embedded scenario with several
// strategies and two seeds in virtual time, infers the operations from
// the access log alone and compares them with the attempt log's truth:
// success rate within 1 point, amplification within 3%.
func TestInferenceAccuracy(t *testing.T) {
	var rows []accuracyRow
	for _, name := range scenarios.Names() {
		for _, strat := range accuracyStrategies {
			for _, seed := range []uint64{1, 2} {
				row := runAccuracy(t, name, strat, seed, nil)
				rows = append(rows, row)
				if why, ok := accuracyExcluded[name]; ok {
					t.Logf("%s/%s/%d: excluded from the bounds (%s): success %.4f vs %.4f, amplification %.3f vs %.3f",
						name, strat, seed, why, row.trueSuccess, row.infSuccess, row.trueAmp, row.infAmp)
					continue
				}
				if d := math.Abs(row.infSuccess - row.trueSuccess); d > 0.01 {
					t.Errorf("%s/%s/%d: success rate inferred %.4f, true %.4f (off by %.4f > 0.01)", name, strat, seed, row.infSuccess, row.trueSuccess, d)
				}
				if d := math.Abs(row.infAmp/row.trueAmp - 1); d > 0.03 {
					t.Errorf("%s/%s/%d: amplification inferred %.4f, true %.4f (off by %.1f%% > 3%%)", name, strat, seed, row.infAmp, row.trueAmp, 100*d)
				}
			}
		}
	}
	rows = append(rows, reuseRows(t)...)
	if *accuracyTable != "" {
		if err := os.WriteFile(*accuracyTable, []byte(accuracyMarkdown(rows)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// reuseScenarios are run over one user (reuse) by reuseRows.
var reuseScenarios = []string{"contention", "occ-contention", "stacked-limits"}

// reuseRows runs reuseScenarios with every accuracy strategy over one
// user, 200 operations, at most 5 attempts each: abandoned operations are
// followed by new ones of the same client on the same user, the case the
// rules cannot tell from a retry. The 1-point and 3% bounds do not hold
// there (docs/operation-inference.md); what must hold is the stated error
// bound: the true operation count lies in [Ops, Ops+Ambiguous], the
// successes are exact, so the true success rate lies in [SuccessRateMin,
// SuccessRate].
func reuseRows(t *testing.T) []accuracyRow {
	var rows []accuracyRow
	for _, name := range reuseScenarios {
		for _, strat := range accuracyStrategies {
			for _, seed := range []uint64{1, 2} {
				row := runAccuracy(t, name, strat, seed, &reuse{ops: 200, maxAttempts: 5})
				row.scenario += " (one user, 200 ops, ≤5 attempts)"
				rows = append(rows, row)
				const eps = 1e-9
				if row.trueOps < row.infOps || row.trueOps > row.infOps+row.ambiguo {
					t.Errorf("%s/%s/%d: %d operations, inferred %d + up to %d", name, strat, seed, row.trueOps, row.infOps, row.ambiguo)
				}
				if row.trueSuccess < row.infSuccessMin-eps || row.trueSuccess > row.infSuccess+eps {
					t.Errorf("%s/%s/%d: success rate %.4f outside the inferred [%.4f, %.4f]", name, strat, seed, row.trueSuccess, row.infSuccessMin, row.infSuccess)
				}
			}
		}
	}
	return rows
}

// accuracyMarkdown renders rows as the README's table: per scenario and
// strategy, seeds 1 and 2 side by side.
func accuracyMarkdown(rows []accuracyRow) string {
	var b strings.Builder
	b.WriteString("| scenario | strategy | success: true → inferred (seed 1; seed 2) | amplification: true → inferred (seed 1; seed 2) | operations: true → inferred (+ ambiguous), seed 1 |\n|---|---|---|---|---|\n")
	for i := 0; i+1 < len(rows); i += 2 {
		r1, r2 := rows[i], rows[i+1]
		name := r1.scenario
		if _, ok := accuracyExcluded[name]; ok {
			name += " (excluded)"
		}
		fmt.Fprintf(&b, "| %s | %s | %.1f%% → %.1f%%; %.1f%% → %.1f%% | %.2f → %.2f; %.2f → %.2f | %d → %d (+%d) |\n", name, r1.strategy,
			100*r1.trueSuccess, 100*r1.infSuccess, 100*r2.trueSuccess, 100*r2.infSuccess, r1.trueAmp, r1.infAmp, r2.trueAmp, r2.infAmp,
			r1.trueOps, r1.infOps, r1.ambiguo)
	}
	return b.String()
}

// TestInferenceRules walks request sequences of one client through the
// rules of docs/operation-inference.md.
func TestInferenceRules(t *testing.T) {
	const (
		get     = "GET /api/v2/users/{id}"
		patch   = "PATCH /api/v2/users/{id}"
		put     = "PUT /api/v2/users/{id}"
		scimGet = "GET /api/v2/scim/v2/users/{id}"
		scimPat = "PATCH /api/v2/scim/v2/users/{id}"
		login   = "POST /oauth/token"
		list    = "GET /api/v2/users"
	)
	type req struct {
		route  string
		user   string
		status int
	}
	cases := []struct {
		name              string
		reqs              []req
		ops, ok, requests int
		amp               float64
	}{
		{"update with retries and a conflict", []req{{login, "", 200}, {get, "u1", 429}, {get, "u1", 200}, {patch, "u1", 503}, {patch, "u1", 409}, {get, "u1", 200}, {patch, "u1", 200}}, 1, 1, 6, 3},
		{"two updates of one user in a row", []req{{get, "u1", 200}, {patch, "u1", 200}, {get, "u1", 200}, {patch, "u1", 200}}, 2, 2, 4, 1},
		{"a new read after a throttled write begins an update", []req{{get, "u1", 200}, {patch, "u1", 429}, {get, "u1", 200}, {patch, "u1", 200}}, 2, 1, 4, 1},
		{"scim update", []req{{scimGet, "u1", 200}, {scimPat, "u1", 409}, {scimGet, "u1", 200}, {scimPat, "u1", 200}}, 1, 1, 4, 2},
		{"reads alone are operations of one read", []req{{list, "", 200}, {get, "u1", 200}, {get, "u1", 200}, {get, "u2", 0}, {get, "u2", 200}}, 3, 3, 4, 4.0 / 3},
		{"an updater's read alone failed to write", []req{{get, "u1", 200}, {patch, "u1", 200}, {get, "u2", 200}}, 2, 1, 3, 3.0 / 4},
		{"put with retries, then a 404", []req{{put, "u1", 429}, {put, "u1", 200}, {put, "u2", 404}}, 2, 1, 3, 3.0 / 2},
		{"a blind re-write after a conflict", []req{{get, "u1", 200}, {patch, "u1", 409}, {patch, "u1", 200}}, 1, 1, 3, 1.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := newInference()
			for i, r := range c.reqs {
				path := "/api/v2/users/" + r.user
				in.request(&record.Request{Seq: uint64(i + 1), T: int64(i) * 1e9, LatencyNS: 1e6, Client: "c", Route: r.route, Path: path, Status: r.status})
			}
			m := in.finish()
			if m.Ops != c.ops || m.Succeeded != c.ok || m.Requests != c.requests || math.Abs(m.Amplification-c.amp) > 1e-9 {
				t.Errorf("got %d ops, %d ok, %d requests, amplification %.3f; want %d, %d, %d, %.3f",
					m.Ops, m.Succeeded, m.Requests, m.Amplification, c.ops, c.ok, c.requests, c.amp)
			}
		})
	}
}

// BenchmarkInferOneUser attributes reads of one user by one client, each
// a finished read operation: the case whose waiting-for-a-write list
// grows with every operation, which a read must not scan.
func BenchmarkInferOneUser(b *testing.B) {
	b.ReportAllocs()
	r := record.Request{Client: "c", Route: "GET /api/v2/users/{id}", Path: "/api/v2/users/u1", Status: 200, LatencyNS: 1e6}
	in := newInference()
	for i := 0; i < b.N; i++ {
		r.T = int64(i) * 1e7
		in.request(&r)
	}
	if m := in.finish(); m.Ops != b.N {
		b.Fatalf("%d operations, want %d", m.Ops, b.N)
	}
}
