package mockgateway

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ratelab/ratelab/clock"
	"github.com/ratelab/ratelab/scenarios"
)

// limitsScenario has two tiers, a documented value that disagrees with
// the effective one, a daily quota, a bucket without a key (not
// reported) and a concurrency bucket in a second namespace.
const limitsScenario = `
name: limits
gateway:
  tiers:
    gold:   {app: 50/s}
    silver: {app: 300/min}
  buckets:
    - {name: token, scope: token, algorithm: fixed-window, limit: 300/min,
       namespace: public.api, key: token.rate.per.minute}
    - {name: app, scope: client, algorithm: token-bucket, limit: tier,
       namespace: public.api, key: org.app.user.rate.per.minute}
    - {name: directory, scope: org, algorithm: fixed-window, limit: 5/s,
       namespace: directory, key: user.rate.per.minute, documented: 300}
    - {name: daily, scope: org, algorithm: daily-quota, limit: 5000/day, reset: "07:00",
       namespace: directory, key: user.requests.per.day}
    - {name: nokey, scope: org, algorithm: fixed-window, limit: 10/s, namespace: directory}
    - {name: inflight, scope: org, algorithm: concurrency, limit: 4,
       namespace: conversations, key: conversation.concurrent.requests}
  routes:
    - {match: "GET /api/v2/users", buckets: [token]}
clients:
  - {id: goldie, secret: g-secret, tier: gold}
  - {id: silvia, secret: s-secret, tier: silver}
`

// startLimits serves text on loopback and returns its URL.
func startLimits(t *testing.T, text string) string {
	t.Helper()
	sc, err := scenarios.Parse("limits.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	run, err := Start(Options{Scenario: sc, Clock: clock.NewVirtual(clock.Epoch)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		run.Shutdown(ctx)
	})
	return run.URL
}

// loginAs returns a bearer token for the client id and secret.
func loginAs(t *testing.T, base, id, secret string) string {
	t.Helper()
	resp, err := http.PostForm(base+"/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("login as %s: %d, %v", id, resp.StatusCode, err)
	}
	return tok.AccessToken
}

// getJSON sends a GET with the token ("" for none) and returns the status,
// the correlation id header and the body.
func getJSON(t *testing.T, base, path, token string) (int, string, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("ININ-Correlation-Id"), body
}

const limitsPath = "/api/v2/organizations/limits/namespaces"

func TestLimitsAPINamespaces(t *testing.T) {
	base := startLimits(t, limitsScenario)
	code, _, body := getJSON(t, base, limitsPath, loginAs(t, base, "goldie", "g-secret"))
	want := `{"entities":[{"name":"conversations"},{"name":"directory"},{"name":"public.api"}],"pageSize":3,"pageNumber":1,"total":3,"pageCount":1}` + "\n"
	if code != http.StatusOK || string(body) != want {
		t.Errorf("GET %s: %d %s\nwant 200 %s", limitsPath, code, body, want)
	}
}

// TestLimitsAPIValues reads every namespace as each tier's client: values
// in the key's unit (5/s is 300 per minute, 50/s 3000), the documented
// value instead of the effective one, the daily quota per day, the
// concurrency count as configured, and no entity for a bucket without a
// key.
func TestLimitsAPIValues(t *testing.T) {
	base := startLimits(t, limitsScenario)
	gold, silver := loginAs(t, base, "goldie", "g-secret"), loginAs(t, base, "silvia", "s-secret")
	type entity struct {
		Key       string  `json:"key"`
		Namespace string  `json:"namespace"`
		Value     float64 `json:"value"`
	}
	cases := []struct {
		ns, token string
		want      []entity
	}{
		{"public.api", gold, []entity{{"token.rate.per.minute", "public.api", 300}, {"org.app.user.rate.per.minute", "public.api", 3000}}},
		{"public.api", silver, []entity{{"token.rate.per.minute", "public.api", 300}, {"org.app.user.rate.per.minute", "public.api", 300}}},
		{"directory", silver, []entity{{"user.rate.per.minute", "directory", 300}, {"user.requests.per.day", "directory", 5000}}},
		{"conversations", gold, []entity{{"conversation.concurrent.requests", "conversations", 4}}},
	}
	for _, c := range cases {
		code, _, body := getJSON(t, base, limitsPath+"/"+c.ns, c.token)
		var got struct{ Entities []entity }
		if err := json.Unmarshal(body, &got); err != nil || code != http.StatusOK {
			t.Fatalf("%s: %d %s (%v)", c.ns, code, body, err)
		}
		if !reflect.DeepEqual(got.Entities, c.want) {
			t.Errorf("%s: %+v\nwant %+v", c.ns, got.Entities, c.want)
		}
	}
}

// TestLimitsAPIErrors: an unknown namespace is the Genesys 404 with the
// correlation id; no token or a bad one is 401 on both routes.
func TestLimitsAPIErrors(t *testing.T) {
	base := startLimits(t, limitsScenario)
	code, cid, body := getJSON(t, base, limitsPath+"/nosuch", loginAs(t, base, "goldie", "g-secret"))
	var e ErrorBody
	if err := json.Unmarshal(body, &e); err != nil || code != http.StatusNotFound || e.Code != "not.found" || e.ContextID == "" || e.ContextID != cid || !strings.Contains(e.Message, "nosuch") {
		t.Errorf("unknown namespace: %d %s (correlation id %q)", code, body, cid)
	}
	for _, p := range []string{limitsPath, limitsPath + "/directory"} {
		for _, tok := range []string{"", "not-a-token"} {
			code, _, body := getJSON(t, base, p, tok)
			if err := json.Unmarshal(body, &e); err != nil || code != http.StatusUnauthorized || e.Code != "authentication.required" {
				t.Errorf("%s with token %q: %d %s", p, tok, code, body)
			}
		}
	}
}

// TestLimitsAPIOff: gateway.limits_api: false answers both routes 404,
// as a target without the API does, while the users API still serves.
func TestLimitsAPIOff(t *testing.T) {
	base := startLimits(t, strings.Replace(limitsScenario, "gateway:\n", "gateway:\n  limits_api: false\n", 1))
	tok := loginAs(t, base, "goldie", "g-secret")
	for _, p := range []string{limitsPath, limitsPath + "/directory"} {
		code, cid, body := getJSON(t, base, p, tok)
		var e ErrorBody
		if err := json.Unmarshal(body, &e); err != nil || code != http.StatusNotFound || e.Code != "not.found" || e.ContextID != cid {
			t.Errorf("%s with the API off: %d %s", p, code, body)
		}
	}
	if code, _, body := getJSON(t, base, "/api/v2/users?pageSize=1", tok); code != http.StatusOK {
		t.Errorf("users with the API off: %d %s", code, body)
	}
}

// TestLimitsAPIChargedLikeAnyRoute: a "*" route's buckets apply to the
// limits API as to every API route: the reads spend the token's window.
func TestLimitsAPIChargedLikeAnyRoute(t *testing.T) {
	base := startLimits(t, `
name: charged
gateway:
  buckets:
    - {name: token, scope: token, algorithm: fixed-window, limit: 2/min,
       namespace: public.api, key: token.rate.per.minute}
  routes:
    - {match: "*", buckets: [token]}
`)
	tok := loginAs(t, base, "any", "x")
	want := []int{200, 200, 429}
	for i, w := range want {
		if code, _, body := getJSON(t, base, limitsPath+"/public.api", tok); code != w {
			t.Errorf("read %d: %d %s, want %d", i+1, code, body, w)
		}
	}
}

func TestInKeyUnit(t *testing.T) {
	cases := []struct {
		n    float64
		per  time.Duration
		key  string
		want float64
	}{
		{180, time.Minute, "user.rate.per.minute", 180},
		{3, time.Second, "user.rate.per.minute", 180},
		{2.5, time.Second, "x.per.minute", 150},
		{5000, 24 * time.Hour, "user.requests.per.day", 5000},
		{300, time.Minute, "x.per.hour", 18000},
		{300, time.Minute, "x.per.second", 5},
		{300, time.Minute, "no.unit", 300},
		{4, 0, "x.per.minute", 4},
	}
	for _, c := range cases {
		if got := InKeyUnit(c.n, c.per, c.key); got != c.want {
			t.Errorf("InKeyUnit(%v, %v, %q) = %v, want %v", c.n, c.per, c.key, got, c.want)
		}
	}
}

// TestLimitsAPIEmbedded reads the limits API of two embedded scenarios:
// stacked-limits documents 300 for the directory limit its gateway
// enforces at 180 (the 429's limit object says 180), and daily-quota
// reports its quota per day.
func TestLimitsAPIEmbedded(t *testing.T) {
	cases := []struct {
		scenario, ns, want string
	}{
		{"stacked-limits", "directory", `{"entities":[{"key":"user.rate.per.minute","namespace":"directory","value":300}]}`},
		{"daily-quota", "directory", `{"entities":[{"key":"user.rate.per.minute","namespace":"directory","value":180},{"key":"user.requests.per.day","namespace":"directory","value":300}]}`},
	}
	for _, c := range cases {
		src, err := scenarios.Source(c.scenario)
		if err != nil {
			t.Fatal(err)
		}
		base := startLimits(t, string(src))
		tok := loginAs(t, base, "sync-job", "sync-job-secret")
		if code, _, body := getJSON(t, base, limitsPath+"/"+c.ns, tok); code != http.StatusOK || strings.TrimSpace(string(body)) != c.want {
			t.Errorf("%s: %d %s\nwant 200 %s", c.scenario, code, body, c.want)
		}
	}
	// What the gateway enforces, and names in a 429's limit object, is
	// the effective 180.
	sc, err := scenarios.Embedded("stacked-limits")
	if err != nil {
		t.Fatal(err)
	}
	gw, err := New(Options{Scenario: sc})
	if err != nil {
		t.Fatal(err)
	}
	b, ok := gw.Model().Bucket("directory")
	if !ok {
		t.Fatal("stacked-limits has no directory bucket")
	}
	if v := b.LimitValue(0); v != 180 {
		t.Errorf("the directory bucket enforces %v, want 180", v)
	}
}

// TestDailyQuotaOnTheWire spends a 3-a-day quota at clock.Epoch (midnight
// UTC): the fourth request is a 429 whose Retry-After and message say the
// 7 hours until the 07:00 reset, naming the quota in its limit object;
// under mode zero the same 429 says 0.
func TestDailyQuotaOnTheWire(t *testing.T) {
	const text = `
name: daily
gateway:
  buckets:
    - {name: daily, scope: org, algorithm: daily-quota, limit: 3/day, reset: "07:00",
       namespace: directory, key: user.requests.per.day}
  routes: [{match: "*", buckets: [daily]}]
  retry_after: {mode: MODE}
`
	for _, c := range []struct{ mode, want string }{{"accurate", "25200"}, {"floor", "25200"}, {"zero", "0"}} {
		base := startLimits(t, strings.Replace(text, "MODE", c.mode, 1))
		tok := loginAs(t, base, "any", "x")
		for i := 0; i < 3; i++ {
			if code, _, body := getJSON(t, base, "/api/v2/users?pageSize=1", tok); code != http.StatusOK {
				t.Fatalf("%s: request %d: %d %s", c.mode, i+1, code, body)
			}
		}
		req, _ := http.NewRequest("GET", base+"/api/v2/users?pageSize=1", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e ErrorBody
		err = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != c.want ||
			!strings.Contains(e.Message, "["+c.want+"] seconds") || e.Limit == nil || e.Limit.Key != "user.requests.per.day" || e.Limit.Value != 3 {
			t.Errorf("%s: %d Retry-After %q, body %+v (%v); want 429 saying %s", c.mode, resp.StatusCode, resp.Header.Get("Retry-After"), e, err, c.want)
		}
	}
}
