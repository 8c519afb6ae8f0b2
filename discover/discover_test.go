package discover

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/mockgateway"
	"github.com/ratelab/ratelab/scenarios"
	"github.com/ratelab/ratelab/target"
)

// Scenarios made for the test, beside the embedded ones.
var extra = map[string]string{
	"bg-load": `
name: bg-load
gateway:
  buckets: [{name: svc, scope: org, algorithm: fixed-window, limit: 120/min, window: 60s, namespace: svc, key: svc.rate.per.minute}]
  routes: [{match: "*", buckets: [svc]}]
  background: [{bucket: svc, rate: 30/min}]
  retry_after: {mode: accurate}
`,
	"separate": `
name: separate
gateway:
  buckets:
    - {name: one, scope: org, algorithm: token-bucket, limit: 60/min, burst: 10, namespace: one, key: one.rate.per.minute}
    - {name: two, scope: org, algorithm: fixed-window, limit: 30/min, window: 60s, namespace: two, key: two.rate.per.minute}
  routes:
    - {match: "GET /api/v2/users/{id}", buckets: [one]}
    - {match: "GET /api/v2/users", buckets: [two]}
  retry_after: {mode: floor}
`,
	"unannounced": `
name: unannounced
gateway:
  buckets: [{name: quiet, scope: org, algorithm: token-bucket, limit: 120/min, burst: 10}]
  routes: [{match: "*", buckets: [quiet]}]
  retry_after: {mode: missing}
`,
	"per-token": `
name: per-token
gateway:
  buckets: [{name: tok, scope: token, algorithm: sliding-window, limit: 120/min, window: 60s, namespace: public.api, key: token.rate.per.minute}]
  routes: [{match: "*", buckets: [tok]}]
`,
}

// layer is one limit the discovery must find: its algorithm, its
// configured limit per minute (a daily quota's: per day) and its scope
// verdict.
type layer struct {
	algorithm string
	perMin    float64
	scope     string
}

// want is what discovery must find on a scenario's first route: every
// layer in the order it refuses, which one binds sustained traffic, and
// whether the route shares its bucket.
type want struct {
	layers  []layer
	binding int
	shared  bool
}

func one(alg string, perMin float64, scope string, shared bool) want {
	return want{layers: []layer{{alg, perMin, scope}}, shared: shared}
}

var truth = map[string]want{
	"seed-eu-identity": one("token-bucket", 180, "client or wider", true),
	"retry-after-zero": one("fixed-window", 180, "client or wider", true),
	// The token bucket refuses a burst first; the directory window binds.
	"stacked-limits":      {layers: []layer{{"token-bucket", 300, "token"}, {"fixed-window", 180, "client or wider"}}, binding: 1, shared: true},
	"tiers":               one("sliding-window", 60, "client or wider", true),
	"healthy":             one("fixed-window", 300, "token", true),
	"bg-load":             one("fixed-window", 120, "client or wider", true),
	"separate":            one("token-bucket", 60, "client or wider", false),
	"per-token":           one("sliding-window", 120, "token", true),
	"unannounced":         one("token-bucket", 120, "client or wider", true),
	"bucket-over-sliding": {layers: []layer{{"token-bucket", 600, "token"}, {"sliding-window", 120, "client or wider"}}, binding: 1, shared: true},
	"window-over-bucket":  {layers: []layer{{"fixed-window", 180, "client or wider"}, {"token-bucket", 60, "client or wider"}}, binding: 1, shared: true},
	"keyless-stack":       {layers: []layer{{"token-bucket", 600, "token"}, {"sliding-window", 120, "client or wider"}}, binding: 1, shared: true},
	// A quota spent during the discovery: reported, not waited for.
	"daily-quota": {layers: []layer{{"fixed-window", 180, "client or wider"}, {"daily-quota", 300, ""}}, binding: -1, shared: true},
	"three-layers": {layers: []layer{{"token-bucket", 1200, "token"}, {"fixed-window", 600, "client or wider"}, {"sliding-window", 180, "client or wider"}},
		binding: 2, shared: true},
	"three-layers-accurate": {layers: []layer{{"token-bucket", 1200, "token"}, {"fixed-window", 600, "client or wider"}, {"sliding-window", 180, "client or wider"}},
		binding: 2, shared: true},
}

// threeLayers stacks a token bucket, a ten-second fixed window and a
// minute's sliding window, with Retry-After rounded down.
const threeLayers = `
name: three-layers
gateway:
  buckets:
    - {name: tok, scope: token, algorithm: token-bucket, limit: 1200/min, burst: 5, namespace: public.api, key: token.rate.per.minute}
    - {name: ten, scope: org, algorithm: fixed-window, limit: 100/10s, window: 10s, namespace: public.api, key: org.rate.per.ten.seconds}
    - {name: dir, scope: org, algorithm: sliding-window, limit: 180/min, window: 60s, namespace: directory, key: user.rate.per.minute}
  routes: [{match: "*", buckets: [tok, ten, dir]}]
  retry_after: {mode: floor}
`

// stacked are the test's scenarios with more than one layer.
var stacked = map[string]string{
	// The same with honest whole-second hints: a 1200/min bucket refills its
	// burst of 5 within every hint, so its rate is checked by pacing.
	"three-layers-accurate": strings.NewReplacer("name: three-layers", "name: three-layers-accurate", "mode: floor", "mode: accurate").Replace(threeLayers),
	"bucket-over-sliding": `
name: bucket-over-sliding
gateway:
  buckets:
    - {name: tok, scope: token, algorithm: token-bucket, limit: 600/min, burst: 10, namespace: public.api, key: token.rate.per.minute}
    - {name: org, scope: org, algorithm: sliding-window, limit: 120/min, window: 60s, namespace: directory, key: user.rate.per.minute}
  routes: [{match: "*", buckets: [tok, org]}]
  retry_after: {mode: accurate}
`,
	"window-over-bucket": `
name: window-over-bucket
gateway:
  buckets:
    - {name: ten, scope: org, algorithm: fixed-window, limit: 30/10s, window: 10s, namespace: public.api, key: org.rate.per.ten.seconds}
    - {name: dir, scope: org, algorithm: token-bucket, limit: 60/min, burst: 50, namespace: directory, key: user.rate.per.minute}
  routes: [{match: "*", buckets: [ten, dir]}]
  retry_after: {mode: accurate}
`,
	// No limit keys in the 429s: the layers are told apart by measurement.
	"keyless-stack": `
name: keyless-stack
gateway:
  buckets:
    - {name: tok, scope: token, algorithm: token-bucket, limit: 600/min, burst: 10}
    - {name: org, scope: org, algorithm: sliding-window, limit: 120/min, window: 60s}
  routes: [{match: "*", buckets: [tok, org]}]
  retry_after: {mode: accurate}
`,
	"three-layers": threeLayers,
}

func load(t *testing.T, name string) *scenarios.Scenario {
	t.Helper()
	src, ok := extra[name]
	if !ok {
		src, ok = stacked[name]
	}
	if ok {
		sc, err := scenarios.Parse(name+".yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	sc, err := scenarios.Embedded(name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// verdict is how one discovery compares with the truth.
type verdict struct {
	name     string
	f        Finding
	requests int
	elapsed  float64
	rows     []string // one per layer, for the table
	wrong    []string // what does not match, as "layer N algorithm", "sharing"…
}

func check(t *testing.T, name string, sc *scenarios.Scenario) (verdict, *Result) {
	t.Helper()
	res, err := Discover(context.Background(), Setup{Target: target.Spec{Scenario: sc, Virtual: true}})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.Truncated || res.Stopped != "" {
		t.Errorf("%s: stopped early: %s", name, res.Stopped)
	}
	return judge(name, res), res
}

// judge compares a discovery's first finding with the truth, layer by
// layer: the algorithm right, the limit within 10%, the scope right.
func judge(name string, res *Result) verdict {
	w := truth[name]
	f := res.Findings[0]
	v := verdict{name: name, f: f, requests: res.Requests, elapsed: res.Elapsed}
	if len(f.Layers) != len(w.layers) {
		v.wrong = append(v.wrong, fmt.Sprintf("%d layers found, %d configured", len(f.Layers), len(w.layers)))
	}
	for i, wl := range w.layers {
		if i >= len(f.Layers) {
			v.rows = append(v.rows, fmt.Sprintf("| %s | %d | %s ✗ not found | %.0f/min | | |", name, i+1, wl.algorithm, wl.perMin))
			continue
		}
		l := f.Layers[i]
		algOK, scopeOK := l.Algorithm == wl.algorithm, l.Scope == wl.scope
		got, unit := l.LimitPerMin, "min"
		if wl.algorithm == "daily-quota" {
			got, unit = l.Limit, "day"
		}
		e := (got - wl.perMin) / wl.perMin
		limOK := math.Abs(e) <= 0.10
		for what, ok := range map[string]bool{"algorithm": algOK, "limit": limOK, "scope": scopeOK} {
			if !ok {
				v.wrong = append(v.wrong, fmt.Sprintf("layer %d %s", i+1, what))
			}
		}
		bind := ""
		if i == w.binding {
			bind = " **binding**"
		}
		measured := fmt.Sprintf("; measured %.0f/min", l.RatePerMin)
		if unit == "day" {
			measured = "; " + l.ResetsInText()
		}
		v.rows = append(v.rows, fmt.Sprintf("| %s | %d%s | %s %s | %.0f/%s %s (configured %.0f, %+.1f%%%s) | %s %s | |",
			name, i+1, bind, l.Algorithm, mark(algOK), got, unit, mark(limOK), wl.perMin, 100*e, measured, l.Scope, mark(scopeOK)))
	}
	if f.Binding != w.binding {
		v.wrong = append(v.wrong, fmt.Sprintf("binding layer %d, want %d", f.Binding+1, w.binding+1))
	}
	shareOK := (len(f.SharesWith) > 0) == w.shared
	if !shareOK {
		v.wrong = append(v.wrong, "sharing")
	}
	last := len(v.rows) - 1
	v.rows[last] = strings.TrimSuffix(v.rows[last], " |") + fmt.Sprintf(" %s, %d requests, %.0f s |", mark(shareOK), res.Requests, res.Elapsed)
	return v
}

// TestAccuracy discovers every embedded scenario with a rate limit, the
// single-limit scenarios made for the test and three stacked ones, in
// virtual time within the default budget, and checks every layer: the
// algorithm, the limit within 10% of the configured value, the scope;
// and which layer binds and whether the route shares its bucket. The
// table is logged either way; it is the README's accuracy table.
func TestAccuracy(t *testing.T) {
	names := []string{"seed-eu-identity", "retry-after-zero", "stacked-limits", "tiers", "healthy", "bg-load", "separate", "per-token", "unannounced",
		"daily-quota", "bucket-over-sliding", "window-over-bucket", "three-layers", "three-layers-accurate", "keyless-stack"}
	rows := make([][]string, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows[i] = accuracy(t, name)
		}()
	}
	wg.Wait()
	t.Logf("\n| scenario | layer | algorithm | limit | scope | sharing, budget used |\n|---|---|---|---|---|---|\n%s", strings.Join(slices.Concat(rows...), "\n"))
}

// accuracy discovers one scenario, judges it, and checks the round trip:
// the emitted scenario, served again, gives the same verdicts for each
// layer.
func accuracy(t *testing.T, name string) []string {
	v, res := check(t, name, load(t, name))
	for _, what := range v.wrong {
		t.Errorf("%s: %s wrong:\n%s", name, what, describe(v.f))
	}
	var buf bytes.Buffer
	if err := res.WriteScenario(&buf, name+"-discovered"); err != nil {
		t.Errorf("%s: %v", name, err)
		return v.rows
	}
	sc2, err := scenarios.Parse(name+"-discovered.yaml", buf.Bytes())
	if err != nil {
		t.Errorf("%s: emitted scenario does not load: %v\n%s", name, err, buf.String())
		return v.rows
	}
	res2, err := Discover(context.Background(), Setup{Target: target.Spec{Scenario: sc2, Virtual: true}})
	if err != nil {
		t.Error(err)
		return v.rows
	}
	if d := sameVerdicts(v.f, res2.Findings[0]); d != "" {
		t.Errorf("%s: round trip differs: %s\nfirst  %s\nsecond %s\n%s", name, d, describe(v.f), describe(res2.Findings[0]), buf.String())
	}
	return v.rows
}

// sameVerdicts compares two findings layer by layer: algorithm, scope and
// limit within 10%, and the sharing verdict.
func sameVerdicts(a, b Finding) string {
	if len(a.Layers) != len(b.Layers) {
		return fmt.Sprintf("%d layers, then %d", len(a.Layers), len(b.Layers))
	}
	for i := range a.Layers {
		x, y := a.Layers[i], b.Layers[i]
		if x.Algorithm != y.Algorithm || x.Scope != y.Scope || math.Abs(x.LimitPerMin-y.LimitPerMin) > 0.1*x.LimitPerMin {
			return fmt.Sprintf("layer %d: %s, then %s", i+1, x.Describe(), y.Describe())
		}
	}
	if (len(a.SharesWith) > 0) != (len(b.SharesWith) > 0) {
		return "sharing"
	}
	return ""
}

func describe(f Finding) string {
	var s []string
	for i, l := range f.Layers {
		s = append(s, fmt.Sprintf("layer %d: %s (measured %.0f/min, key %q)", i+1, l.Describe(), l.RatePerMin, l.LimitKey))
	}
	return strings.Join(append(s, f.Notes...), "\n")
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

func TestSafety(t *testing.T) {
	sc := load(t, "healthy")
	for _, c := range []struct {
		s    Setup
		want string
	}{
		{Setup{Target: target.Spec{Scenario: sc}, Routes: []string{"PATCH /api/v2/users/{id}"}}, "--allow-writes"},
		{Setup{Target: target.Spec{Scenario: sc}, Routes: []string{"DELETE /api/v2/users/{id}"}}, "cannot probe"},
		{Setup{Target: target.Spec{URL: "http://api.example.com"}}, "plain http"},
		{Setup{Target: target.Spec{URL: "https://api.example.com"}}, "GENESYS_CLIENT_ID"},
		{Setup{Target: target.Spec{URL: "https://api.example.com", Virtual: true}}, "cannot be combined"},
		{Setup{Target: target.Spec{URL: "https://api.example.com", Getenv: env(map[string]string{"GENESYS_CLIENT_ID": "a", "GENESYS_CLIENT_SECRET": "s3cret",
			"GENESYS_CLIENT_ID_2": "b"})}}, "GENESYS_CLIENT_SECRET_2"},
	} {
		if err := c.s.Check(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v", c.s, err)
		}
	}
	s := Setup{Target: target.Spec{Scenario: sc, Virtual: true}}
	s.defaults()
	if p := s.Plan(); !strings.Contains(p, "read-only") || !strings.Contains(p, "1000 requests") {
		t.Errorf("plan: %s", p)
	}
	// A small budget is never exceeded, and a limit it cannot reach is
	// reported as such, not guessed.
	res, err := Discover(context.Background(), Setup{Target: target.Spec{Scenario: load(t, "retry-after-zero"), Virtual: true}, MaxRequests: 50})
	if err != nil || res.Requests > 50 {
		t.Fatalf("budget: %v %+v", err, res)
	}
	for _, f := range res.Findings {
		if f.Algorithm != "unknown" || len(f.Notes) == 0 || !strings.Contains(f.Notes[0], "higher than this budget can reach") {
			t.Fatalf("a 50-request budget cannot see a 180/min limit, but reported %+v", f)
		}
	}
}

func TestStopsOnServerErrors(t *testing.T) {
	sc, err := scenarios.Parse("flaky.yaml", []byte("name: flaky\ngateway:\n  faults: {errors: [{status: 500, rate: 0.5}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Discover(context.Background(), Setup{Target: target.Spec{Scenario: sc, Virtual: true}})
	if err != nil {
		// The user listing itself may meet the 500.
		if !strings.Contains(err.Error(), "500") {
			t.Fatal(err)
		}
		return
	}
	if !strings.Contains(res.Stopped, "500") || res.Requests > 20 {
		t.Fatalf("did not stop at the first 5xx: %+v", res)
	}
}

// TestHonoursRetryAfter checks, from the gateway's own access log, that
// no token ever sent a request to a path before the Retry-After that token
// was given there had passed. (The scope test's fresh token was never
// refused when it starts, so it has no hint to wait for.)
func TestHonoursRetryAfter(t *testing.T) {
	for _, name := range []string{"stacked-limits", "healthy", "tiers", "per-token", "daily-quota",
		"bucket-over-sliding", "window-over-bucket", "three-layers", "three-layers-accurate", "keyless-stack"} {
		var log bytes.Buffer
		if _, err := Discover(context.Background(), Setup{Target: target.Spec{Scenario: load(t, name), Virtual: true, GatewayLog: &log}}); err != nil {
			t.Fatal(err)
		}
		type key struct{ token, path string }
		due := map[key]int64{}
		throttled := 0
		for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
			var r struct {
				Type       string `json:"type"`
				T          int64  `json:"t"`
				Latency    int64  `json:"latency_ns"`
				Token      string `json:"token_id"`
				Path       string `json:"path"`
				Status     int    `json:"status"`
				RetryAfter int64  `json:"retry_after_s"`
			}
			if err := json.Unmarshal([]byte(line), &r); err != nil || r.Type != "request" || r.Token == "" {
				continue
			}
			k := key{r.Token, r.Path}
			if d, ok := due[k]; ok && r.T < d {
				t.Errorf("%s: %s sent %s %v before its Retry-After", name, r.Token, r.Path, time.Duration(d-r.T))
			}
			delete(due, k)
			if r.Status == 429 {
				throttled++
				due[k] = r.T + r.Latency + r.RetryAfter*int64(time.Second)
			}
		}
		if throttled == 0 {
			t.Fatalf("%s: no 429s: the test proves nothing", name)
		}
	}
}

// TestOverLoopback discovers a running gateway over real sockets, in real
// time, the way a live target is probed: credentials from the
// environment, the target given by URL.
func TestOverLoopback(t *testing.T) {
	if testing.Short() {
		t.Skip("real time")
	}
	sc := load(t, "stacked-limits")
	gw, err := mockgateway.Start(mockgateway.Options{Scenario: sc})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Shutdown(context.Background())
	creds := gw.Server.Clients()[0]
	env := map[string]string{"GENESYS_CLIENT_ID": creds.ClientID, "GENESYS_CLIENT_SECRET": creds.ClientSecret}
	res, err := Discover(context.Background(), Setup{Target: target.Spec{URL: gw.URL, Getenv: func(k string) string { return env[k] }}, MaxDuration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	f := res.Findings[0]
	if f.Algorithm != "token-bucket" || math.Abs(f.RatePerMin-300) > 30 || f.Scope != "token" || len(f.SharesWith) == 0 {
		t.Fatalf("over loopback: %+v", f)
	}
	// The limits API was read first, over the wire, and its value sits
	// beside the measured one.
	if !strings.HasPrefix(res.LimitsAPI, "read: 2 of 2") || f.Layers[0].Documented != 300 {
		t.Fatalf("over loopback, the limits API: %q, documented %v", res.LimitsAPI, f.Layers[0].Documented)
	}
}

// TestDocumentedBesideMeasured: the limits API's values are read before
// probing, counted in the budget, set beside each layer, and a
// disagreement is flagged (stacked-limits documents 300 for the directory
// limit it enforces at 180). A target without the API is measured only.
func TestDocumentedBesideMeasured(t *testing.T) {
	var log bytes.Buffer
	res, err := Discover(context.Background(), Setup{Target: target.Spec{Scenario: load(t, "stacked-limits"), Virtual: true, GatewayLog: &log}})
	if err != nil {
		t.Fatal(err)
	}
	f := res.Findings[0]
	notes := strings.Join(f.Notes, "\n")
	if len(f.Layers) != 2 || f.Layers[0].Documented != 300 || f.Layers[1].Documented != 300 ||
		!strings.Contains(notes, "documented user.rate.per.minute 300; measured 1") ||
		!strings.Contains(notes, "documented token.rate.per.minute 300; effective 180/min: directory (user.rate.per.minute) bucket") {
		t.Fatalf("documented values:\n%s", describe(f))
	}
	api, sent := 0, 0 // limits API requests; requests other than logins
	for _, line := range strings.Split(log.String(), "\n") {
		if strings.Contains(line, `"type":"request"`) && !strings.Contains(line, "/oauth/token") {
			sent++
			if strings.Contains(line, "/api/v2/organizations/limits/namespaces") {
				api++
			}
		}
	}
	if api != 5 || res.Requests != sent {
		t.Fatalf("%d limits API requests (want the listing, its 2 namespaces and one in each layer's sharing test); %d requests counted, the gateway saw %d besides logins", api, res.Requests, sent)
	}
	sc, err := scenarios.Parse("off.yaml", []byte(strings.Replace(stacked["bucket-over-sliding"], "  retry_after:", "  limits_api: false\n  retry_after:", 1)))
	if err != nil {
		t.Fatal(err)
	}
	res, err = Discover(context.Background(), Setup{Target: target.Spec{Scenario: sc, Virtual: true}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.LimitsAPI, "not served by this target (404)") || judge("bucket-over-sliding", res).wrong != nil {
		t.Fatalf("without the limits API: %q\n%s", res.LimitsAPI, describe(res.Findings[0]))
	}
}

// TestRoutesAgreeWithTable holds discovery's routes to the api table:
// each is a route scenarios may name (so the gateway serves and limits
// it), the defaults are its reads, and Check accepts them all.
func TestRoutesAgreeWithTable(t *testing.T) {
	known := map[string]bool{}
	for _, n := range api.ScenarioRoutes() {
		known[n] = true
	}
	for _, id := range api.Probeable() {
		if !known[id.String()] {
			t.Errorf("discovery probes %s, which scenarios cannot name", id)
		}
	}
	for _, r := range DefaultRoutes {
		if id, ok := api.RouteNamed(r); !ok || id.Route().Writes {
			t.Errorf("default route %s is not a read of the table", r)
		}
	}
	s := &Setup{Target: target.Spec{Scenario: &scenarios.Scenario{Name: "x"}}, AllowWrites: true, Routes: probeable(true)}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}

// TestScopeWithSecondClient tells a per-client limit from an org-wide one
// with a second client of the same tier: drain with one, probe with the
// other. Without it, both are "client or wider".
func TestScopeWithSecondClient(t *testing.T) {
	for _, c := range []struct {
		scope, clients, want string
	}{
		{"client", "[{id: one}, {id: two}]", "client"},
		{"org", "[{id: one}, {id: two}]", "org"},
		{"client", "[{id: one}]", "client or wider"},
		{"org", "[{id: one}]", "client or wider"},
	} {
		src := fmt.Sprintf(`
name: scoped
gateway:
  buckets:
    - {name: tok, scope: token, algorithm: token-bucket, limit: 600/min, burst: 10, namespace: public.api, key: token.rate.per.minute}
    - {name: app, scope: %s, algorithm: fixed-window, limit: 120/min, window: 60s, namespace: public.api, key: org.app.user.rate.per.minute}
  routes: [{match: "*", buckets: [tok, app]}]
clients: %s
`, c.scope, c.clients)
		sc, err := scenarios.Parse("scoped.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Discover(context.Background(), Setup{Target: target.Spec{Scenario: sc, Virtual: true}, Routes: []string{"GET /api/v2/users/{id}"}})
		if err != nil {
			t.Fatal(err)
		}
		f := res.Findings[0]
		if len(f.Layers) != 2 || f.Layers[0].Scope != "token" || f.Layers[1].Scope != c.want {
			t.Errorf("%s bucket, clients %s: want layers token and %s:\n%s", c.scope, c.clients, c.want, describe(f))
		}
	}
}

// TestBudgetSaysWhatWouldMeasure: a time budget too short for the
// sustained phase reports the burst layer only, says so, and names the
// budget that would measure it; that budget does.
func TestBudgetSaysWhatWouldMeasure(t *testing.T) {
	sc := load(t, "bucket-over-sliding")
	res, err := Discover(context.Background(), Setup{Target: target.Spec{Scenario: sc, Virtual: true}, MaxDuration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	f := res.Findings[0]
	re := regexp.MustCompile(`--max-duration (\w+) would measure the 60 s window`)
	m := re.FindStringSubmatch(strings.Join(f.Notes, "\n"))
	if len(f.Layers) != 1 || m == nil {
		t.Fatalf("a 1m budget: want the burst layer only and a note naming the budget that would do:\n%s", describe(f))
	}
	d, err := time.ParseDuration(m[1])
	if err != nil {
		t.Fatal(err)
	}
	res, err = Discover(context.Background(), Setup{Target: target.Spec{Scenario: sc, Virtual: true}, MaxDuration: d})
	if err != nil {
		t.Fatal(err)
	}
	if v := judge("bucket-over-sliding", res); len(v.wrong) > 0 {
		t.Fatalf("--max-duration %s, as suggested: %v\n%s", m[1], v.wrong, describe(res.Findings[0]))
	}
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestDailyQuotaStopsTheRoute: a spent daily quota is recognised from its
// 429 (a per-day key, a Retry-After of hours), reported with its reset,
// and never waited for: no request follows on that route, and the whole
// discovery takes minutes, not the seven hours to the reset.
func TestDailyQuotaStopsTheRoute(t *testing.T) {
	for _, mode := range []string{"accurate", "floor", "zero", "missing"} {
		t.Run(mode, func(t *testing.T) { dailyQuotaStops(t, mode) })
	}
}

func dailyQuotaStops(t *testing.T, mode string) {
	src, err := os.ReadFile("../scenarios/library/daily-quota.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Parse("daily-quota.yaml", bytes.Replace(src, []byte("retry_after: {mode: accurate}"), []byte("retry_after: {mode: "+mode+"}"), 1))
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	res, err := Discover(context.Background(), Setup{Target: target.Spec{Scenario: sc, Virtual: true, GatewayLog: &log}})
	if err != nil {
		t.Fatal(err)
	}
	f := res.Findings[0]
	q := f.Layers[len(f.Layers)-1]
	note := strings.Join(f.Notes, "\n")
	reset := "resets in 6h5" // from the Retry-After, when the gateway says it
	if mode == "zero" || mode == "missing" {
		reset = "its reset is unknown"
	}
	if q.Algorithm != "daily-quota" || q.LimitValue != 300 || !strings.Contains(note, "daily quota reached after 300 requests admitted") ||
		!strings.Contains(note, reset) || res.Elapsed > 300 || f.Binding != -1 {
		t.Fatalf("the daily quota (300/day, resets 07:00; the run starts at midnight) was not reported as such in %.0f s:\n%s", res.Elapsed, describe(f))
	}
	after := -1 // requests the gateway saw after the first quota refusal
	for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		var r struct {
			Type       string `json:"type"`
			Status     int    `json:"status"`
			RetryAfter int64  `json:"retry_after_s"`
		}
		if json.Unmarshal([]byte(line), &r) != nil || r.Type != "request" {
			continue
		}
		if after >= 0 {
			after++
		} else if r.Status == 429 && strings.Contains(line, `"rejected_by":"daily"`) {
			after = 0
		}
	}
	if after != 0 {
		t.Fatalf("%d requests after the quota refused (want 0; -1: it never refused)", after)
	}
}

// TestRoutesWithTheirOwnLayers: two routes share the per-token burst
// layer but each has its own limit under it. The second route is probed,
// not copied, and each gets its own sustained layer; the emitted
// scenario stacks them so, and served again gives the same verdicts.
func TestRoutesWithTheirOwnLayers(t *testing.T) {
	sc, err := scenarios.Parse("own.yaml", []byte(`
name: own
gateway:
  buckets:
    - {name: tok, scope: token, algorithm: token-bucket, limit: 600/min, burst: 10, namespace: public.api, key: token.rate.per.minute}
    - {name: one, scope: org, algorithm: fixed-window, limit: 120/min, window: 60s, namespace: directory, key: user.get.rate.per.minute}
    - {name: two, scope: org, algorithm: sliding-window, limit: 90/min, window: 60s, namespace: directory, key: user.list.rate.per.minute}
  routes:
    - {match: "GET /api/v2/users/{id}", buckets: [tok, one]}
    - {match: "GET /api/v2/users", buckets: [tok, two]}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]layer{"GET /api/v2/users/{id}": {"fixed-window", 120, "client or wider"}, "GET /api/v2/users": {"sliding-window", 90, "client or wider"}}
	check := func(res *Result) {
		t.Helper()
		for _, f := range res.Findings {
			w := want[f.Route]
			if len(f.Layers) != 2 || f.Layers[0].Algorithm != "token-bucket" || f.Binding != 1 || f.Layers[1].Algorithm != w.algorithm ||
				math.Abs(f.Layers[1].LimitPerMin-w.perMin) > 0.1*w.perMin || f.Layers[1].Scope != w.scope {
				t.Errorf("%s: want a token bucket over %+v:\n%s", f.Route, w, describe(f))
			}
		}
	}
	res, err := Discover(context.Background(), Setup{Target: target.Spec{Scenario: sc, Virtual: true}})
	if err != nil {
		t.Fatal(err)
	}
	check(res)
	var buf bytes.Buffer
	if err := res.WriteScenario(&buf, "own-discovered"); err != nil {
		t.Fatal(err)
	}
	sc2, err := scenarios.Parse("own-discovered.yaml", buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if res, err = Discover(context.Background(), Setup{Target: target.Spec{Scenario: sc2, Virtual: true}}); err != nil {
		t.Fatal(err)
	}
	check(res)
	if t.Failed() {
		t.Log(buf.String())
	}
}
