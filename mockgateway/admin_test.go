package mockgateway

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// series returns the sample lines of a Prometheus text exposition.
func series(body string) []string {
	var out []string
	for _, line := range strings.Split(body, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

// TestMetricsSeriesBounded sends thousands of requests on distinct random
// paths with random methods, authenticated or not: the metrics hold a
// bounded number of series, labelled by route pattern or "unmatched",
// never by the raw path or method.
func TestMetricsSeriesBounded(t *testing.T) {
	h := newHarness(t, "")
	tok := h.login()
	rng := rand.New(rand.NewPCG(1, 2))
	methods := []string{"GET", "DELETE", "POST", "PUT", "PATCH", "PURGE"}
	for range 3000 {
		method := methods[rng.IntN(len(methods))]
		if rng.IntN(3) == 0 {
			method = fmt.Sprintf("M%d", rng.Uint32())
		}
		path := fmt.Sprintf("/api/v2/%x/%x", rng.Uint64(), rng.Uint64())
		switch rng.IntN(8) {
		case 0:
			path = fmt.Sprintf("/api/v2/scim/v2/users/%x", rng.Uint64()) // a route: 401, 404 or 429
		case 1:
			path = fmt.Sprintf("/api/v2/users/%x", rng.Uint64()) // a route, or 405
		}
		auth := ""
		if rng.IntN(2) == 0 {
			auth = tok
		}
		h.do(method, path, auth, "")
	}
	body := h.do("GET", AdminPrefix+"/metrics", "", "").Body.String()
	lines := series(body)
	// 60 today: 29 request counters, 24 histogram lines, the rest one per
	// bucket. Random paths would add one each.
	if len(lines) > 100 {
		t.Fatalf("%d series after 3000 random requests:\n%s", len(lines), strings.Join(lines[:40], "\n"))
	}
	for _, l := range lines {
		if strings.Contains(l, "/api/v2/") && !strings.Contains(l, "{id}") && !strings.Contains(l, "/users\"") {
			t.Errorf("a series names a raw path: %s", l)
		}
	}
	for _, want := range []string{
		`ratelab_gateway_requests_total{code="404",method="GET",route="unmatched"}`,
		`ratelab_gateway_requests_total{code="404",method="other",route="unmatched"}`,
		`ratelab_gateway_requests_total{code="401",method="DELETE",route="/api/v2/scim/v2/users/{id}"}`,
		`ratelab_gateway_requests_total{code="405",method="other",route="unmatched"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no series %s in\n%s", want, strings.Join(lines, "\n"))
		}
	}
}

// TestMetricsContent checks the request counter's labels, the round
// histogram bounds, the bucket gauges (a per-token bucket reports its
// most drained key, not a series per token) and the token-throttle
// counter.
func TestMetricsContent(t *testing.T) {
	h := newHarness(t, "")
	tok := h.login()
	other := h.login() // a second token: a second key of the per-token bucket
	for range 6 {
		h.do("GET", "/api/v2/users/user-00001", tok, "")
	}
	h.do("GET", "/api/v2/users/user-00001", other, "")
	h.do("POST", "/oauth/token", basic("app", "s3cret"), "grant_type=client_credentials", "Content-Type", "application/x-www-form-urlencoded")
	if w := h.do("POST", "/oauth/token", basic("app", "s3cret"), "grant_type=client_credentials", "Content-Type", "application/x-www-form-urlencoded"); w.Code != 400 {
		t.Fatalf("fourth login in a minute: %d, want the mint limit's 400", w.Code)
	}
	body := h.do("GET", AdminPrefix+"/metrics", "", "").Body.String()
	for _, want := range []string{
		`ratelab_gateway_requests_total{code="200",method="GET",route="/api/v2/users/{id}"} 6`,
		`ratelab_gateway_requests_total{code="429",method="GET",route="/api/v2/users/{id}"} 1`,
		`ratelab_gateway_requests_total{code="400",method="POST",route="/oauth/token"} 1`,
		`ratelab_gateway_rejections_total{bucket="token"} 1`,
		`ratelab_gateway_token_throttles_total 1`,
		`ratelab_gateway_bucket_remaining{bucket="token"} 0`,
		`ratelab_gateway_bucket_limit{bucket="token"} 5`,
		`ratelab_gateway_bucket_keys{bucket="token"} 2`,
		`ratelab_gateway_bucket_keys{bucket="directory"} 0`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("no line %s in\n%s", want, body)
		}
	}
	if strings.Contains(body, `bucket_remaining{bucket="directory"}`) {
		t.Error("a gauge for a bucket no request has reached")
	}
	bounds := regexp.MustCompile(`ratelab_gateway_true_wait_seconds_bucket\{le="([^"]+)"\}`).FindAllStringSubmatch(body, -1)
	var les []string
	for _, b := range bounds {
		les = append(les, b[1])
	}
	want := []string{"0.01", "0.1", "0.5", "1", "2", "5", "10", "30", "60", "300", "+Inf"}
	if !slices.Equal(les, want) {
		t.Errorf("true-wait bounds %v, want %v", les, want)
	}
}

const stackedScenario = `
name: stacked
seed: 1
gateway:
  buckets:
    - {name: wide, scope: org, algorithm: fixed-window, limit: 100/min, window: 60s}
    - {name: first, scope: org, algorithm: fixed-window, limit: 2/min, window: 60s}
    - {name: second, scope: org, algorithm: fixed-window, limit: 2/min, window: 60s}
  routes:
    - {match: "*", buckets: [wide, first, second]}
  token: {expires_in: 3600s}
  users: {count: 5, ids: sequential}
clients: [{id: app, secret: s3cret}]
`

type statsBody struct {
	Buckets []struct {
		Name     string `json:"name"`
		Admitted uint64 `json:"admitted"`
		Rejected uint64 `json:"rejected"`
		Refused  uint64 `json:"refused"`
	} `json:"buckets"`
}

// TestStatsCountRejectionOnRefusingBucket: a request that the second and
// third buckets of its route refuse counts as rejected (reported) on the
// second only, as refused on both, and on the first bucket, which
// admitted it, not at all. Reset clears the counts.
func TestStatsCountRejectionOnRefusingBucket(t *testing.T) {
	h := newHarness(t, stackedScenario)
	tok := h.login()
	for range 3 {
		h.do("GET", "/api/v2/users/user-00001", tok, "")
	}
	stats := func() map[string][3]uint64 {
		t.Helper()
		var b statsBody
		if err := json.Unmarshal(h.do("GET", AdminPrefix+"/stats", "", "").Body.Bytes(), &b); err != nil {
			t.Fatal(err)
		}
		m := map[string][3]uint64{}
		for _, s := range b.Buckets {
			m[s.Name] = [3]uint64{s.Admitted, s.Rejected, s.Refused}
		}
		return m
	}
	got := stats()
	want := map[string][3]uint64{"wide": {2, 0, 0}, "first": {2, 1, 1}, "second": {2, 0, 1}}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("bucket %s: admitted, rejected, refused = %v, want %v", name, got[name], w)
		}
	}
	h.do("POST", AdminPrefix+"/reset", "", "")
	for name, g := range stats() {
		if g != [3]uint64{} {
			t.Errorf("bucket %s after reset: %v", name, g)
		}
	}
}
