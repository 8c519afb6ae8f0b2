package client

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ratelab/ratelab/mockgateway"
	"github.com/ratelab/ratelab/scenarios"
)

func TestLoginURLFor(t *testing.T) {
	cases := map[string]string{
		"https://api.mypurecloud.de":   "https://login.mypurecloud.de",
		"https://api.usw2.pure.cloud/": "https://login.usw2.pure.cloud",
		"http://127.0.0.1:8080":        "http://127.0.0.1:8080",
	}
	for in, want := range cases {
		if got := LoginURLFor(in); got != want {
			t.Errorf("LoginURLFor(%q) = %q, want %q", in, got, want)
		}
	}
}

func start(t *testing.T, src string) *mockgateway.Running {
	t.Helper()
	sc, err := scenarios.Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	run, err := mockgateway.Start(mockgateway.Options{Scenario: sc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Shutdown(context.Background()) })
	return run
}

func TestUpdateFlowAgainstTheMock(t *testing.T) {
	run := start(t, "name: t\ngateway: {users: {count: 3, ids: sequential}}\nclients: [{id: app, secret: topsecret}]\n")
	c := New(run.URL, "app", "topsecret", nil)
	ctx := context.Background()
	r, u, err := c.GetUser(ctx, "user-00001")
	if err != nil || r.Status != 200 || u.Version != 1 || r.CorrelationID == "" {
		t.Fatalf("GET: %v %+v %+v", err, r, u)
	}
	r, err = c.PatchUser(ctx, u.ID, u.Version, Changes{Department: "Ops"})
	if err != nil || r.Status != 200 {
		t.Fatalf("PATCH: %v %+v", err, r)
	}
	r, _ = c.PatchUser(ctx, u.ID, u.Version, Changes{Department: "Stale"})
	if r.Status != 409 || r.ErrorCode != "general.conflict" {
		t.Fatalf("stale PATCH: %+v", r)
	}
	g, _ := c.ScimGet(ctx, u.ID)
	r, _ = c.ScimUpdate(ctx, u.ID, g.ETag, Changes{Title: "Lead"})
	if r.Status != 200 {
		t.Fatalf("SCIM update: %d %s", r.Status, r.Body)
	}
	if c.Logins() != 1 {
		t.Fatalf("logged in %d times; the token should be cached", c.Logins())
	}
}

func TestLoginThrottledAndSecretsNeverInErrors(t *testing.T) {
	run := start(t, "name: t\ngateway: {token: {limit: 1/min}}\nclients: [{id: app, secret: topsecret}]\n")
	ctx := context.Background()
	if _, err := New(run.URL, "app", "topsecret", nil).Token(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := New(run.URL, "app", "topsecret", nil).Token(ctx)
	if !errors.Is(err, ErrLoginThrottled) {
		t.Fatalf("second mint within the limit: %v", err)
	}
	_, err = New(run.URL, "app", "wrong-secret-value", nil).Token(ctx)
	if err == nil || strings.Contains(err.Error(), "wrong-secret-value") {
		t.Fatalf("bad secret: %v", err)
	}
	// Error text that would carry a secret is redacted.
	if got := redact(errors.New("dial user:topsecret@host"), "topsecret").Error(); strings.Contains(got, "topsecret") {
		t.Fatalf("redact left the secret: %s", got)
	}
}

// TestRequestMatchesParsing: joining a path to the parsed base builds the
// request http.NewRequest would build from the whole URL, and so does a
// recycled request, whatever it carried before: method, URL, host, body,
// length, GetBody and a header cleared of the last attempt's.
func TestRequestMatchesParsing(t *testing.T) {
	ctx := context.Background()
	bodies := [][]byte{nil, []byte(`{"email":"a@example.com"}`), nil, []byte(`{}`)}
	methods := []string{http.MethodGet, http.MethodPut, http.MethodGet, http.MethodPatch}
	for _, base := range []string{"http://127.0.0.1:8080", "https://api.mypurecloud.de", "http://h:1/prefix"} {
		c := New(base, "id", "secret", nil)
		for i, p := range []string{"/api/v2/users/abc", "/api/v2/users/a%2Fb", "/api/v2/users?pageSize=5", "/api/v2/scim/v2/users/x-1", "/api/v2/users/def"} {
			method, body := methods[i%len(methods)], bodies[i%len(bodies)]
			out, err := c.request(ctx, method, p, body)
			var rd io.Reader
			if body != nil {
				rd = bytes.NewReader(body)
			}
			want, err2 := http.NewRequest(method, base+p, rd)
			if err != nil || err2 != nil {
				t.Fatal(err, err2)
			}
			got := out.req
			if got.Method != want.Method || got.URL.String() != want.URL.String() || got.Host != want.Host ||
				got.URL.EscapedPath() != want.URL.EscapedPath() || got.ContentLength != want.ContentLength || len(got.Header) != 0 {
				t.Errorf("%s %s + %s: got %s %s (host %s, length %d, header %v), want %s %s (host %s, length %d)", method, base, p,
					got.Method, got.URL, got.Host, got.ContentLength, got.Header, want.Method, want.URL, want.Host, want.ContentLength)
			}
			if (got.Body == nil) != (body == nil) || (got.GetBody == nil) != (body == nil) {
				t.Fatalf("%s %s: body %v, GetBody %v, for a body of %d bytes", method, p, got.Body, got.GetBody != nil, len(body))
			}
			if body != nil {
				b, _ := io.ReadAll(got.Body)
				again, _ := got.GetBody()
				b2, _ := io.ReadAll(again)
				if string(b) != string(body) || string(b2) != string(body) {
					t.Fatalf("%s %s: body %q, GetBody %q, want %q", method, p, b, b2, body)
				}
			}
			got.Header["Authorization"] = []string{"Bearer x"} // as send does; a recycled request drops it
			c.recycle(out)
		}
	}
}

// stubAPI serves a token and hands every other request to api.
func stubAPI(t *testing.T, api http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"access_token":"tok-123","token_type":"bearer","expires_in":3600}`)
			return
		}
		api(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestAttemptIsOneExchange: an attempt is one HTTP request on the wire. A
// redirect is the attempt's answer, not followed behind the log's back.
func TestAttemptIsOneExchange(t *testing.T) {
	var hits atomic.Int32
	srv := stubAPI(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("Authorization") != "Bearer tok-123" {
			t.Errorf("Authorization %q", r.Header.Get("Authorization"))
		}
		http.Redirect(w, r, "/api/v2/users/elsewhere", http.StatusTemporaryRedirect)
	})
	c := New(srv.URL, "id", "secret", &http.Client{})
	r, err := c.PutUser(context.Background(), "u1", Changes{Email: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != http.StatusTemporaryRedirect || hits.Load() != 1 {
		t.Fatalf("status %d after %d requests, want 307 after 1", r.Status, hits.Load())
	}
}

// TestAttemptHonoursClientTimeout: the http.Client's Timeout bounds an
// attempt, reading the body included, and the error names neither secret
// nor token.
func TestAttemptHonoursClientTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := stubAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		select { // the body never comes
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := New(srv.URL, "id", "secret", &http.Client{Timeout: 200 * time.Millisecond})
	// A backstop, so a client that ignored its Timeout fails the bound
	// below instead of hanging the test.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, _, err := c.GetUser(ctx, "u1")
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want a deadline error", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("timed out after %v", el)
	}
	if strings.Contains(err.Error(), "tok-123") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("error leaks a credential: %v", err)
	}
}
