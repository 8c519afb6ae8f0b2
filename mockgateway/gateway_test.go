package mockgateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/scenarios"
)

// manualClock is a virtual clock moved by hand; Sleep returns at once.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (*manualClock) Sleep(context.Context, time.Duration) error { return nil }

const testScenario = `
name: test
seed: 42
gateway:
  buckets:
    - {name: token, scope: token, algorithm: fixed-window, limit: 5/min, window: 60s,
       namespace: public.api, key: token.rate.per.minute}
    - {name: directory, scope: org, algorithm: token-bucket, limit: 180/min, burst: 3,
       namespace: directory, key: user.rate.per.minute}
  routes:
    - {match: "PATCH /api/v2/users/{id}", buckets: [directory]}
    - {match: "*", buckets: [token]}
  retry_after: {mode: accurate%s}
  token: {limit: 3/min, max_live: 2, expires_in: 3600s}
  users: {count: 5, ids: sequential}
  request_bytes_max: 1000
clients: [{id: app, secret: s3cret}]
`

type harness struct {
	t     *testing.T
	s     *Server
	clock *manualClock
	log   *bytes.Buffer
}

func newHarness(t *testing.T, extra string) *harness {
	t.Helper()
	src := fmt.Sprintf(testScenario, "")
	if extra != "" {
		src = extra
	}
	sc, err := scenarios.Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c := &manualClock{t: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}
	var buf bytes.Buffer
	s, err := New(Options{Scenario: sc, Clock: c, Log: &buf})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, s: s, clock: c, log: &buf}
}

func (h *harness) do(method, path, auth string, body string, hdr ...string) *httptest.ResponseRecorder {
	h.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.s.ServeHTTP(w, r)
	return w
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

func (h *harness) login() string {
	h.t.Helper()
	w := h.do("POST", "/oauth/token", basic("app", "s3cret"), "grant_type=client_credentials", "Content-Type", "application/x-www-form-urlencoded")
	if w.Code != 200 {
		h.t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	json.Unmarshal(w.Body.Bytes(), &tok)
	if tok.TokenType != "bearer" || tok.ExpiresIn != 3600 || tok.AccessToken == "" {
		h.t.Fatalf("token response %s", w.Body)
	}
	return "Bearer " + tok.AccessToken
}

func errBody(t *testing.T, w *httptest.ResponseRecorder) ErrorBody {
	t.Helper()
	var b ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatalf("error body %q: %v", w.Body, err)
	}
	if b.ContextID == "" || b.ContextID != w.Header().Get("ININ-Correlation-Id") {
		t.Fatalf("contextId %q != ININ-Correlation-Id %q", b.ContextID, w.Header().Get("ININ-Correlation-Id"))
	}
	if b.Status != w.Code || b.Details == nil || b.Errors == nil {
		t.Fatalf("error body %+v for status %d", b, w.Code)
	}
	return b
}

func TestLoginVariants(t *testing.T) {
	h := newHarness(t, "")
	cases := []struct {
		name, auth, body string
		status           int
		errCode          string
	}{
		{"basic", basic("app", "s3cret"), "grant_type=client_credentials", 200, ""},
		{"form", "", "grant_type=client_credentials&client_id=app&client_secret=s3cret", 200, ""},
		{"wrong secret", basic("app", "nope"), "grant_type=client_credentials", 401, "invalid_client"},
		{"unknown client", basic("other", "s3cret"), "grant_type=client_credentials", 401, "invalid_client"},
		{"bad grant", basic("app", "s3cret"), "grant_type=password", 400, "unsupported_grant_type"},
		{"mint limit", basic("app", "s3cret"), "grant_type=client_credentials", 200, ""},
		{"mint limit exceeded", basic("app", "s3cret"), "grant_type=client_credentials", 400, "invalid_request"},
	}
	for _, c := range cases {
		w := h.do("POST", "/oauth/token", c.auth, c.body, "Content-Type", "application/x-www-form-urlencoded")
		if w.Code != c.status {
			t.Fatalf("%s: status %d, want %d: %s", c.name, w.Code, c.status, w.Body)
		}
		if c.errCode != "" {
			var e oauthError
			json.Unmarshal(w.Body.Bytes(), &e)
			if e.Error != c.errCode {
				t.Errorf("%s: error %q, want %q", c.name, e.Error, c.errCode)
			}
			if c.errCode == "invalid_request" && (!strings.HasPrefix(e.Description, "rate limit exceeded; ") || e.ErrorDescription != e.Description) {
				t.Errorf("mint limit body %s", w.Body)
			}
		}
		if strings.Contains(w.Body.String(), "s3cret") {
			t.Errorf("%s: the secret appears in a response", c.name)
		}
	}
	if strings.Contains(h.log.String(), "s3cret") {
		t.Error("the secret appears in the access log")
	}
}

func TestTokenLifecycle(t *testing.T) {
	h := newHarness(t, "")
	first := h.login()
	if w := h.do("GET", "/api/v2/users/user-00001", first, ""); w.Code != 200 {
		t.Fatalf("fresh token: %d", w.Code)
	}
	h.login()
	h.clock.Add(time.Minute) // the mint limit is 3/min
	h.login()                // max_live 2: this invalidates the first
	w := h.do("GET", "/api/v2/users/user-00001", first, "")
	if w.Code != 401 || errBody(t, w).Code != "authentication.required" {
		t.Fatalf("invalidated token: %d %s", w.Code, w.Body)
	}
	tok := h.login()
	h.clock.Add(time.Hour)
	if w := h.do("GET", "/api/v2/users/user-00001", tok, ""); w.Code != 401 {
		t.Fatalf("expired token: %d", w.Code)
	}
	for _, a := range []string{"", "Bearer ", "Bearer nonsense", "Basic abc"} {
		if w := h.do("GET", "/api/v2/users/user-00001", a, ""); w.Code != 401 {
			t.Errorf("auth %q: %d", a, w.Code)
		}
	}
	// The log names tokens by id only.
	if strings.Contains(h.log.String(), strings.TrimPrefix(tok, "Bearer ")) {
		t.Error("a token value appears in the access log")
	}
}

func TestScriptedClientFlow(t *testing.T) {
	h := newHarness(t, "")
	tok := h.login()
	w := h.do("GET", "/api/v2/users/user-00002", tok, "")
	if w.Code != 200 || w.Header().Get("ININ-Correlation-Id") == "" {
		t.Fatalf("GET: %d", w.Code)
	}
	var u User
	json.Unmarshal(w.Body.Bytes(), &u)
	if u.ID != "user-00002" || u.Version != 1 || u.SelfURI != "/api/v2/users/user-00002" || u.Division.ID == "" || len(u.PrimaryContactInfo) != 1 {
		t.Fatalf("user %+v", u)
	}
	w = h.do("PATCH", "/api/v2/users/user-00002", tok, `{"version":1,"department":"Escalations","email":"new@example.com"}`)
	json.Unmarshal(w.Body.Bytes(), &u)
	if w.Code != 200 || u.Version != 2 || u.Department != "Escalations" || u.PrimaryContactInfo[0].Address != "new@example.com" {
		t.Fatalf("PATCH: %d %+v", w.Code, u)
	}
	w = h.do("PATCH", "/api/v2/users/user-00002", tok, `{"version":1,"department":"Stale"}`)
	if w.Code != 409 || errBody(t, w).Message != "Unexpected version was provided" {
		t.Fatalf("stale PATCH: %d %s", w.Code, w.Body)
	}
	// Burst: the directory bucket holds 3 with 3/s refill; 2 used above.
	var got429 []*httptest.ResponseRecorder
	for i := 0; i < 6; i++ {
		w = h.do("PATCH", "/api/v2/users/user-00003", tok, fmt.Sprintf(`{"version":%d}`, 1+i-len(got429)))
		if w.Code == 429 {
			got429 = append(got429, w)
		}
	}
	if len(got429) == 0 {
		t.Fatal("no 429 in a burst")
	}
	msgRe := regexp.MustCompile(`^Rate limit exceeded the maximum\. Retry the request in \[(\d+)\] seconds$`)
	for _, w := range got429 {
		b := errBody(t, w)
		m := msgRe.FindStringSubmatch(b.Message)
		if m == nil || m[1] != w.Header().Get("Retry-After") {
			t.Fatalf("429 message %q vs Retry-After %q", b.Message, w.Header().Get("Retry-After"))
		}
		if b.Code != "too.many.requests.retry.after" || b.Limit == nil || *b.Limit != (LimitInfo{"user.rate.per.minute", "directory", 180}) {
			t.Fatalf("429 body %+v", b)
		}
		if w.Header().Get("Cache-Control") != "no-cache, no-store, must-revalidate" || w.Header().Get("Content-Type") != "application/json" ||
			w.Header().Get("Strict-Transport-Security") == "" {
			t.Fatalf("429 headers %v", w.Header())
		}
		for _, legacy := range []string{"inin-ratelimit-count", "inin-ratelimit-allowed", "inin-ratelimit-reset"} {
			if w.Header().Get(legacy) != "" {
				t.Fatalf("legacy header %s sent without legacy mode", legacy)
			}
		}
	}
}

func TestErrorStatuses(t *testing.T) {
	h := newHarness(t, "")
	tok := h.login()
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"unknown user", "GET", "/api/v2/users/nobody", "", 404, "not.found"},
		{"malformed json", "PATCH", "/api/v2/users/user-00001", `{"version":`, 400, "bad.request"},
		{"version as string", "PATCH", "/api/v2/users/user-00001", `{"version":"1"}`, 400, "bad.request"},
		{"too large", "PATCH", "/api/v2/users/user-00001", `{"version":1,"title":"` + strings.Repeat("x", 2000) + `"}`, 413, "request.entity.too.large"},
		{"put disabled", "PUT", "/api/v2/users/user-00001", `{"email":"a@b"}`, 405, "method.not.allowed"},
		{"unknown path", "GET", "/api/v2/nothing", "", 404, "not.found"},
		{"me without a user", "GET", "/api/v2/users/me", "", 400, "bad.request"},
		{"me is no user id to patch", "PATCH", "/api/v2/users/me", `{"version":1}`, 404, "not.found"},
	}
	for _, c := range cases {
		h.clock.Add(time.Minute)
		w := h.do(c.method, c.path, tok, c.body)
		if w.Code != c.status {
			t.Fatalf("%s: %d, want %d: %s", c.name, w.Code, c.status, w.Body)
		}
		if b := errBody(t, w); b.Code != c.code {
			t.Errorf("%s: code %q, want %q", c.name, b.Code, c.code)
		}
	}
}

func TestPagingAndSCIM(t *testing.T) {
	h := newHarness(t, "")
	tok := h.login()
	w := h.do("GET", "/api/v2/users?pageSize=2&pageNumber=3", tok, "")
	var p userPage
	json.Unmarshal(w.Body.Bytes(), &p)
	if p.Total != 5 || p.PageCount != 3 || len(p.Entities) != 1 || p.Entities[0].ID != "user-00005" || p.NextURI != "" {
		t.Fatalf("page %+v", p)
	}
	w = h.do("GET", "/api/v2/scim/v2/users/user-00001", tok, "")
	if w.Code != 200 || w.Header().Get("ETag") != `W/"1"` {
		t.Fatalf("SCIM GET %d %v", w.Code, w.Header())
	}
	w = h.do("PATCH", "/api/v2/scim/v2/users/user-00001", tok,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"New Name"}]}`, "If-Match", `W/"1"`)
	if w.Code != 200 || w.Header().Get("ETag") != `W/"2"` || !strings.Contains(w.Body.String(), `"displayName":"New Name"`) {
		t.Fatalf("SCIM PATCH %d %s", w.Code, w.Body)
	}
	h.clock.Add(time.Minute)
	w = h.do("PUT", "/api/v2/scim/users/user-00001", tok, `{"userName":"x@example.com"}`, "If-Match", `W/"1"`)
	var e map[string]any
	json.Unmarshal(w.Body.Bytes(), &e)
	if w.Code != 409 || e["status"] != "409" || e["schemas"].([]any)[0] != scimErrorSchema || e["scimType"] == "" {
		t.Fatalf("SCIM stale PUT (legacy path) %d %s", w.Code, w.Body)
	}
	w = h.do("GET", "/api/v2/scim/v2/users?count=100", tok, "")
	if w.Code != 429 {
		t.Fatalf("SCIM page over 25: %d", w.Code)
	}
}

func TestRetryAfterModesOnTheWire(t *testing.T) {
	cases := []struct {
		mode   string
		header *regexp.Regexp // nil: no header
		check  func(t *testing.T, w *httptest.ResponseRecorder)
	}{
		{"zero", regexp.MustCompile(`^0$`), nil},
		{"floor", regexp.MustCompile(`^\d+$`), nil},
		{"missing", nil, nil},
		{"date", regexp.MustCompile(`^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$`), nil},
		{"body", nil, func(t *testing.T, w *httptest.ResponseRecorder) {
			if b := errBody(t, w); b.RetryAfter == nil || *b.RetryAfter < 1 {
				t.Fatalf("body mode: %s", w.Body)
			}
		}},
		{"accurate, legacy_headers: true", regexp.MustCompile(`^\d+$`), func(t *testing.T, w *httptest.ResponseRecorder) {
			if w.Header().Get("inin-ratelimit-allowed") != "5" || w.Header().Get("inin-ratelimit-count") != "5" {
				t.Fatalf("legacy headers %v", w.Header())
			}
		}},
		{"accurate, legacy_body: true, no_limit_object: true", regexp.MustCompile(`^\d+$`), func(t *testing.T, w *httptest.ResponseRecorder) {
			b := errBody(t, w)
			if b.Code != "too.many.requests" || b.Message != "Rate limit exceeded the maximum [5] requests within [60] seconds" || b.Limit != nil {
				t.Fatalf("legacy body %+v", b)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			h := newHarness(t, strings.Replace(fmt.Sprintf(testScenario, ""), "mode: accurate", "mode: "+c.mode, 1))
			tok := h.login()
			var w *httptest.ResponseRecorder
			for i := 0; i < 6; i++ {
				w = h.do("GET", "/api/v2/users/user-00001", tok, "")
			}
			if w.Code != 429 {
				t.Fatalf("6th GET: %d", w.Code)
			}
			got := w.Header().Get("Retry-After")
			if c.header == nil && got != "" || c.header != nil && !c.header.MatchString(got) {
				t.Fatalf("Retry-After %q", got)
			}
			if c.check != nil {
				c.check(t, w)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	src := `
name: faults
seed: 9
gateway:
  faults:
    errors:
      - {status: 503, rate: 0.3, retry_after: 2s}
      - {status: 500, rate: 0.2}
`
	h := newHarness(t, src)
	tok := func() string {
		w := h.do("POST", "/oauth/token", basic("anyone", "x"), "grant_type=client_credentials")
		var v map[string]any
		json.Unmarshal(w.Body.Bytes(), &v)
		return "Bearer " + v["access_token"].(string)
	}()
	counts := map[int]int{}
	for i := 0; i < 1000; i++ {
		w := h.do("GET", "/api/v2/users?pageSize=1", tok, "")
		counts[w.Code]++
		if w.Code == 503 && w.Header().Get("Retry-After") != "2" {
			t.Fatalf("503 without its Retry-After")
		}
		if w.Code >= 500 {
			errBody(t, w)
		}
	}
	// 503 at 0.3; 500 at 0.2 of the remaining 0.7 = 0.14. Binomial sd ~15.
	if counts[503] < 240 || counts[503] > 360 || counts[500] < 90 || counts[500] > 190 {
		t.Fatalf("fault counts %v", counts)
	}
}

func TestNonJSON429(t *testing.T) {
	src := strings.Replace(fmt.Sprintf(testScenario, ""), "  users:", "  faults: {non_json_429: 1}\n  users:", 1)
	h := newHarness(t, src)
	tok := h.login()
	var w *httptest.ResponseRecorder
	for i := 0; i < 6; i++ {
		w = h.do("GET", "/api/v2/users/user-00001", tok, "")
	}
	if w.Code != 429 || w.Header().Get("Content-Type") != "text/html" || json.Valid(w.Body.Bytes()) {
		t.Fatalf("non-JSON 429: %d %q", w.Code, w.Body)
	}
}

func TestDeterministicForSeed(t *testing.T) {
	run := func() string {
		h := newHarness(t, "")
		tok := h.login()
		for i := 0; i < 8; i++ {
			h.do("GET", "/api/v2/users/user-00001", tok, "")
			h.clock.Add(3 * time.Second)
		}
		h.s.Close()
		return h.log.String()
	}
	a, b := run(), run()
	if a != b {
		t.Fatalf("same seed, different logs:\n%s\n---\n%s", a, b)
	}
}

// accessRecords collects an access log's records.
type accessRecords struct {
	record.AttemptVisitor // nil: an access log has no attempt records
	header                record.AccessHeader
	requests              []record.Request
	background            *record.Background
}

func (a *accessRecords) AccessHeader(h *record.AccessHeader) { a.header = *h }
func (a *accessRecords) Request(r *record.Request)           { a.requests = append(a.requests, *r) }
func (a *accessRecords) Background(b *record.Background)     { c := *b; a.background = &c }

func TestAccessLogRecords(t *testing.T) {
	h := newHarness(t, "")
	tok := h.login()
	for i := 0; i < 7; i++ {
		h.do("GET", "/api/v2/users/user-00001", tok, "")
	}
	h.s.Close()
	var log accessRecords
	if kind, _, err := record.Stream("access.jsonl", h.log, &log, record.Options{}); err != nil || kind != record.Access {
		t.Fatalf("reading the access log: %v %v", kind, err)
	}
	recs := log.requests
	if log.header.Scenario != "test" || log.background == nil {
		t.Fatalf("framing: %+v ... %+v", log.header, log.background)
	}
	last := recs[len(recs)-1]
	if last.Status != 429 || last.RejectedBy != "token" || last.RetryAfter == "" || last.TrueWaitNS <= 0 ||
		last.TokenID != "tok-1" || len(last.Buckets) != 1 || !last.Buckets[0].Refused || last.Client != "app" {
		t.Fatalf("429 record %+v", last)
	}
	if len(recs) != 8 || h.s.Requests() != 8 {
		t.Fatalf("%d records for 8 requests", len(recs))
	}
}

func TestAdmin(t *testing.T) {
	h := newHarness(t, "")
	tok := h.login()
	for i := 0; i < 6; i++ {
		h.do("GET", "/api/v2/users/user-00001", tok, "")
	}
	w := h.do("GET", AdminPrefix+"/stats", "", "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"rejected":1`) {
		t.Fatalf("stats %s", w.Body)
	}
	w = h.do("GET", AdminPrefix+"/metrics", "", "")
	if !strings.Contains(w.Body.String(), `ratelab_gateway_rejections_total{bucket="token"} 1`) {
		t.Fatalf("metrics:\n%s", w.Body)
	}
	if w := h.do("POST", AdminPrefix+"/reset", "", ""); w.Code != 204 {
		t.Fatal("reset")
	}
	if w := h.do("GET", "/api/v2/users/user-00001", tok, ""); w.Code != 200 {
		t.Fatalf("after reset: %d", w.Code)
	}
	if w := h.do("GET", AdminPrefix+"/health", "", ""); w.Code != 200 {
		t.Fatal("health")
	}
}

// TestShutdownUnderLoadLosesNoRecord drives the gateway over loopback from
// several goroutines, shuts it down mid-load, and checks that every
// response a client received has exactly one access-log record.
func TestShutdownUnderLoadLosesNoRecord(t *testing.T) {
	sc, err := scenarios.Parse("load.yaml", []byte(`
name: load
gateway:
  buckets: [{name: b, algorithm: token-bucket, limit: 200/s, burst: 50}]
  routes: [{match: "*", buckets: [b]}]
  faults: {latency: {dist: uniform, min: 1ms, max: 5ms}}
`))
	if err != nil {
		t.Fatal(err)
	}
	var logBuf syncBuffer
	run, err := Start(Options{Scenario: sc, Log: &logBuf})
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"c"}, "client_secret": {"x"}}
	resp, err := http.PostForm(run.URL+"/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	var responses atomic.Int64
	responses.Add(1)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 5 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", run.URL+"/api/v2/users?pageSize=1", nil)
				req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
				resp, err := client.Do(req)
				if err != nil {
					continue // refused after shutdown: no response, no record
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				responses.Add(1)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := run.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	lines := strings.Count(logBuf.String(), `"type":"request"`)
	if int64(lines) != responses.Load() || lines < 20 {
		t.Fatalf("%d request records for %d responses", lines, responses.Load())
	}
	if got := run.Server.Requests(); got != uint64(lines) {
		t.Fatalf("Requests() = %d, log has %d", got, lines)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRetryAfterMatchesTrueWaitWhenAccurate(t *testing.T) {
	h := newHarness(t, "")
	tok := h.login()
	for i := 0; i < 5; i++ {
		h.do("GET", "/api/v2/users/user-00001", tok, "")
	}
	h.clock.Add(20 * time.Second)
	w := h.do("GET", "/api/v2/users/user-00001", tok, "")
	ra, _ := strconv.Atoi(w.Header().Get("Retry-After"))
	// Fixed window of 60s aligned to the minute; 20s in: 40s left.
	if w.Code != 429 || ra != 40 {
		t.Fatalf("Retry-After %d (status %d), want 40", ra, w.Code)
	}
	h.clock.Add(time.Duration(ra) * time.Second)
	if w := h.do("GET", "/api/v2/users/user-00001", tok, ""); w.Code != 200 {
		t.Fatalf("after waiting Retry-After: %d", w.Code)
	}
}

func TestDroppedConnection(t *testing.T) {
	sc, err := scenarios.Parse("drop.yaml", []byte("name: drop\ngateway:\n  faults: {drop: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var logBuf syncBuffer
	run, err := Start(Options{Scenario: sc, Log: &logBuf})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.PostForm(run.URL+"/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"c"}, "client_secret": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	req, _ := http.NewRequest("GET", run.URL+"/api/v2/users", nil)
	req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped connection answered %s", resp.Status)
	}
	run.Shutdown(context.Background())
	if !strings.Contains(logBuf.String(), `"status":0,"fault":"drop"`) {
		t.Fatalf("no record of the dropped connection:\n%s", logBuf.String())
	}
}

// TestUserBodyEncodedOncePerVersion: GET and PATCH answer with exactly the
// bytes encoding/json writes for the stored user (no HTML escaping,
// trailing newline), and an update is visible to the next GET, not a stale
// copy.
func TestUserBodyEncodedOncePerVersion(t *testing.T) {
	h := newHarness(t, "")
	tok := h.login()
	want := func() string {
		u, _ := h.s.users.get("user-00004")
		var b bytes.Buffer
		e := json.NewEncoder(&b)
		e.SetEscapeHTML(false)
		if err := e.Encode(u); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for i, patch := range []string{"", `{"version":1,"department":"R&D <west>"}`, `{"version":2,"email":"a&b@example.com"}`} {
		h.clock.Add(time.Minute) // a fresh window of the 5/min token bucket
		if patch != "" {
			if w := h.do("PATCH", "/api/v2/users/user-00004", tok, patch); w.Code != 200 || w.Body.String() != want() {
				t.Fatalf("PATCH %s: %d\n got %s\nwant %s", patch, w.Code, w.Body, want())
			}
		}
		for range 2 {
			w := h.do("GET", "/api/v2/users/user-00004", tok, "")
			if w.Code != 200 || w.Body.String() != want() {
				t.Fatalf("GET %d: %d\n got %s\nwant %s", i, w.Code, w.Body, want())
			}
			if !strings.Contains(w.Body.String(), fmt.Sprintf(`"version":%d`, i+1)) {
				t.Fatalf("GET %d: stale body %s", i, w.Body)
			}
		}
	}
}
